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

# SQLite (the embedded default) keeps decimals as 8-byte floats: exact to 15
# significant digits, so its wallets hold at most 13 integer digits.
SQLITE_MAX_BALANCE = Decimal("9999999999999.99")

# ASCII digits only: \d would also match other scripts' digits, which Decimal() accepts.
AMOUNT_PATTERN = rf"[0-9]{{1,{AMOUNT_MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{AMOUNT_DECIMAL_PLACES}}})?"
AMOUNT_RE = re.compile(AMOUNT_PATTERN)
