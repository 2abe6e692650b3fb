"""The rate limits on sign-in, registration and the username lookup (counters: ``apps.core.throttling``)."""
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from apps.core.throttling import AtomicCounterMixin, SettingRateMixin


class LookupRateThrottle(SettingRateMixin, AtomicCounterMixin, UserRateThrottle):
    """Per authenticated user, on the username lookup: finding who exists is rationed."""

    scope = "lookup"
    rate_setting = "THROTTLE_LOOKUP_RATE"


class AuthRateThrottle(SettingRateMixin, AtomicCounterMixin, SimpleRateThrottle):
    """Per client IP, on registration, token and logout endpoints (one shared bucket)."""

    scope = "auth"
    rate_setting = "THROTTLE_AUTH_RATE"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
