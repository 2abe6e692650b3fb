"""Django's Redis cache backend, with one client per pool and an atomic counter.

The stock backend builds a new ``redis.Redis`` for every cache call, which
costs about as much CPU as the command itself (0.1 ms here). ``redis.Redis``
is thread-safe, so one instance per pool is shared by the process's threads.
``hit`` is the rate limiter's counter: one round trip, atomic across processes.
"""
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients.setdefault(
                index, self._client(connection_pool=self._get_connection_pool(write)))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Count one hit on ``key``; return (hits in the window, seconds until it resets).

        The window starts at its first hit. SET NX EX, INCR and TTL go in one
        pipeline (one round trip) and INCR is atomic, so concurrent requests
        from any number of processes are all counted.
        """
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        return count, max(ttl, 1)
