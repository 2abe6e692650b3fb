"""Object ids as the database stores them (BIGINT), read strictly from text."""
import re

BIGINT_MAX = 2**63 - 1
_DIGITS_RE = re.compile(r"[0-9]{1,19}")


def bigint_from_text(text: str, *, minimum: int = 1) -> int | None:
    """``text`` as a whole number in ``minimum``..BIGINT_MAX, or None.

    ASCII digits only: ``int()`` would also take ``1_000``, surrounding spaces
    or other scripts' digits, and a number beyond BIGINT overflows the driver.
    """
    if not _DIGITS_RE.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= BIGINT_MAX else None
