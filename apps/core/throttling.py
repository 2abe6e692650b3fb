"""Rate limits, read from settings at request time (so tests and the environment can set them).

``THROTTLE_MONEY_RATE`` limits each user on the endpoints that move money;
``THROTTLE_AUTH_RATE`` limits each client IP on registration and token
endpoints. Counters live in the default cache: with several processes use a
shared cache (``CACHE_URL=redis://...``), else every process counts alone.
Throttling is a brake on abuse and accidents, not a security boundary.
"""
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class MoneyRateThrottle(UserRateThrottle):
    """Per authenticated user, on transfers and deposits."""

    scope = "money"

    def get_rate(self):
        return settings.THROTTLE_MONEY_RATE or None


class AuthRateThrottle(SimpleRateThrottle):
    """Per client IP, on registration, token and logout endpoints (one shared bucket)."""

    scope = "auth"

    def get_rate(self):
        return settings.THROTTLE_AUTH_RATE or None

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
