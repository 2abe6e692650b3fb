"""Money as the whole service stores and accepts it: plain constants, no framework.

Models (column sizes), serializers (what a request may say) and services (the
largest balance) import these, so a limit is written once.
"""
import re
from decimal import Decimal

AMOUNT_MAX_DIGITS = 18
AMOUNT_DECIMAL_PLACES = 2
AMOUNT_MAX_INTEGER_DIGITS = AMOUNT_MAX_DIGITS - AMOUNT_DECIMAL_PLACES
MAX_AMOUNT = Decimal("9" * AMOUNT_MAX_INTEGER_DIGITS + "." + "9" * AMOUNT_DECIMAL_PLACES)
CENT = Decimal("0.01")
MIN_AMOUNT = CENT
ZERO = Decimal("0.00")

# An amount as a request writes it: a JSON string of ASCII digits (\d would also match other
# scripts' digits, which Decimal() accepts), no sign, spaces, exponent or leading zeros, at most
# 16 integer digits and 2 decimal places, and greater than zero ("0.00" does not match).
_INTEGER_DIGITS = f"{{0,{AMOUNT_MAX_INTEGER_DIGITS - 1}}}"
_FRACTION = rf"(?:\.[0-9]{{1,{AMOUNT_DECIMAL_PLACES}}})?"
AMOUNT_PATTERN = rf"(?:0\.(?:0[1-9]|[1-9][0-9]?)|[1-9][0-9]{_INTEGER_DIGITS}{_FRACTION})"
AMOUNT_RE = re.compile(AMOUNT_PATTERN)
# A bound of an amount filter: the same spelling, and zero is allowed.
AMOUNT_BOUND_PATTERN = rf"(?:0|[1-9][0-9]{_INTEGER_DIGITS}){_FRACTION}"
AMOUNT_BOUND_RE = re.compile(AMOUNT_BOUND_PATTERN)

AMOUNT_EXAMPLE = "10.50"
AMOUNT_NOT_A_STRING = f'Send the amount as a JSON string, such as "{AMOUNT_EXAMPLE}".'
AMOUNT_MALFORMED = (f'Write the amount as digits with an optional point and up to {AMOUNT_DECIMAL_PLACES} '
                    f'decimals, such as "{AMOUNT_EXAMPLE}": no sign, spaces, exponent or leading zeros.')
AMOUNT_TOO_MANY_PLACES = f"Use at most {AMOUNT_DECIMAL_PLACES} decimal places."
AMOUNT_TOO_MANY_DIGITS = f"Use at most {AMOUNT_MAX_INTEGER_DIGITS} digits before the decimal point."
AMOUNT_NOT_POSITIVE = "The amount must be greater than zero."

_DECIMAL_RE = re.compile(r"(?P<integer>[0-9]+)(?:\.(?P<fraction>[0-9]+))?")


def amount_problem(text: str, *, allow_zero: bool = False) -> str | None:
    """Why ``text`` is not an amount (one of the messages above), or None when it is one."""
    pattern = AMOUNT_BOUND_RE if allow_zero else AMOUNT_RE
    if pattern.fullmatch(text):
        return None
    parts = _DECIMAL_RE.fullmatch(text)
    if parts is None or (len(parts["integer"]) > 1 and parts["integer"].startswith("0")):
        return AMOUNT_MALFORMED
    if len(parts["fraction"] or "") > AMOUNT_DECIMAL_PLACES:
        return AMOUNT_TOO_MANY_PLACES
    if len(parts["integer"]) > AMOUNT_MAX_INTEGER_DIGITS:
        return AMOUNT_TOO_MANY_DIGITS
    return AMOUNT_NOT_POSITIVE  # all digits zero: the only well-formed spelling left

