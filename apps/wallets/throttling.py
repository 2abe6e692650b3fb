"""The rate limit on the endpoints that move money (the counter itself is ``apps.core.throttling``)."""
from rest_framework.throttling import UserRateThrottle

from apps.core.throttling import AtomicCounterMixin, SettingRateMixin


class MoneyRateThrottle(SettingRateMixin, AtomicCounterMixin, UserRateThrottle):
    """Per authenticated user, on transfers and deposits (``THROTTLE_MONEY_RATE``)."""

    scope = "money"
    rate_setting = "THROTTLE_MONEY_RATE"
