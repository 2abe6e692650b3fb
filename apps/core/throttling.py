"""How rate limits count, read from settings at request time (so tests and the environment can set them).

The limits themselves live with their endpoints: ``THROTTLE_MONEY_RATE``
(``apps.wallets.throttling``) limits each user on the endpoints that move
money; ``THROTTLE_LOOKUP_RATE`` and ``THROTTLE_AUTH_RATE``
(``apps.users.throttling``) each user on the username lookup and each client
IP on registration and token endpoints. Counters live in the default cache: with several processes use a
shared cache (``CACHE_URL=redis://...``), else every process counts alone.
Throttling is a brake on abuse and accidents, not a security boundary.

With the Redis cache the count is a fixed window opened by the first request
and counted atomically in one round trip (``apps.core.cache.RedisCache.hit``);
DRF's own sliding window reads and rewrites a list of timestamps (two round
trips, and racing requests can overwrite each other's). Other caches (the
per-process default) keep DRF's sliding window. When Redis cannot be reached
the request goes through unthrottled and the failure is logged: never a 500.
"""
import logging

from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class AtomicCounterMixin:
    """``allow_request`` through the cache's atomic ``hit`` counter when it has one."""

    def allow_request(self, request, view):
        hit = getattr(self.cache, "hit", None)
        if hit is None or self.rate is None:
            return super().allow_request(request, view)
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            count, resets_in = hit(key, self.duration)
        except (RedisError, OSError) as exc:
            # The counter is a brake, not a gate: a cache outage must not turn every transfer
            # and sign-in into a server error. The request goes through, unthrottled, logged.
            logger.error("Rate-limit counter unavailable (%s); %s request allowed unthrottled.",
                         exc, self.scope)
            return True
        self.retry_after = resets_in
        return count <= self.num_requests

    def wait(self):
        retry_after = getattr(self, "retry_after", None)
        return retry_after if retry_after is not None else super().wait()


class SettingRateMixin:
    """The rate read from the setting named ``rate_setting`` at request time; empty means no limit."""

    rate_setting: str

    def get_rate(self):
        return getattr(settings, self.rate_setting) or None
