"""The service's one currency: plain constants, no framework.

Every wallet, transfer and deposit is in the currency ``WALLET_CURRENCY`` names
(an ISO 4217 code, checked at start-up by ``config/settings.py``). Amounts have
``AMOUNT_DECIMAL_PLACES`` (2) decimal places, so only a currency whose minor unit
is the hundredth fits; the tables below say which codes are accepted and why
some well-known ones are not.
"""
from apps.core.money import AMOUNT_DECIMAL_PLACES

DEFAULT_CURRENCY = "USD"

# ISO 4217 codes with 2 minor units that the service accepts.
CURRENCIES = frozenset({
    "AED", "ARS", "AUD", "BGN", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EGP", "EUR", "GBP", "GEL",
    "HKD", "ILS", "INR", "KES", "MAD", "MXN", "MYR", "NGN", "NOK", "NZD", "PHP", "PLN", "QAR", "RON",
    "SAR", "SEK", "SGD", "THB", "TRY", "UAH", "USD", "ZAR",
})
MINOR_UNITS = AMOUNT_DECIMAL_PLACES  # of every accepted currency

# Well-known ISO 4217 codes whose minor units are not 2: refused, saying why.
OTHER_MINOR_UNITS = {
    "BHD": 3, "CLP": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "LYD": 3,
    "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}


def currency_check(code: str) -> str:
    """``code`` if the service accepts it; otherwise ``ValueError`` saying why not."""
    if code in CURRENCIES:
        return code
    if code in OTHER_MINOR_UNITS:
        raise ValueError(
            f"{code} has {OTHER_MINOR_UNITS[code]} minor units, but every amount here has "
            f"{MINOR_UNITS} decimal places: choose a currency with {MINOR_UNITS} minor units.")
    raise ValueError(f"{code!r} is not a supported ISO 4217 currency code "
                     f"(supported: {', '.join(sorted(CURRENCIES))}).")
