"""What a username may hold, said once for the server and for the OpenAPI schema.

The server's rule is Django's (letters, digits and ``_.@+-``, in any script:
Python's Unicode ``\\w``) limited to the Basic Multilingual Plane, and then
only names every receipt font can draw (``user_create`` refuses the others
with ``username_unprintable``). OpenAPI patterns are ECMA-262 regular
expressions, where ``\\w`` means ASCII only: the schema's pattern therefore
lists exactly the accepted characters as ``\\uXXXX`` ranges, which mean the
same in JavaScript and Python. A client that checks a name against it is
neither stricter nor looser than the server (only a taken name is refused
beyond it).
"""
import re
from functools import cache

# Beyond the BMP, \w holds look-alikes (mathematical bold letters that pass for Latin ones, Old
# Italic) that a pattern cannot spell the same way in JavaScript (UTF-16 pairs) and Python.
USERNAME_REGEX = r"^(?:(?![\U00010000-\U0010FFFF])[\w.@+-])+\Z"
USERNAME_INVALID = "Letters, digits and @/./+/-/_ only."


def _accepted(char: str) -> bool:
    from apps.core.printable import unprintable

    return re.match(USERNAME_REGEX, char) is not None and not unprintable(char)


def _ranges(code_points: list[int]) -> list[tuple[int, int]]:
    ranges: list[list[int]] = []
    for cp in code_points:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return [(low, high) for low, high in ranges]


def _escape(cp: int) -> str:
    char = chr(cp)
    return char if char.isascii() and char.isalnum() else f"\\u{cp:04X}"


@cache
def username_pattern() -> str:
    """The schema's pattern: exactly the characters the server accepts in a username, as BMP ranges."""
    accepted = [cp for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF and _accepted(chr(cp))]
    body = "".join(_escape(low) if low == high else f"{_escape(low)}-{_escape(high)}"
                   for low, high in _ranges(accepted))
    return f"^[{body}]+$"
