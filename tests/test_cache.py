"""The Redis cache backend (throttle counters) against the real Redis server."""
import pytest
from django.core.cache import cache

from apps.core.cache import RedisCache
from tests.test_settings import _load_settings

REDIS_URL = "redis://127.0.0.1:6379/7"
TRANSFER = "/api/wallet/transfer/"


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "apps.core.cache.RedisCache", "LOCATION": REDIS_URL}}
    cache.clear()
    yield cache
    cache.clear()


def test_cache_url_naming_redis_selects_the_shared_client_backend():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = _load_settings(CACHE_URL=REDIS_URL, code=code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "apps.core.cache.RedisCache"


def test_values_round_trip_and_one_client_serves_every_call(redis_cache):
    redis_cache.set("greeting", ["hello", 1.5], 30)
    assert redis_cache.get("greeting") == ["hello", 1.5]
    assert redis_cache.add("greeting", "other", 30) is False
    assert redis_cache.delete("greeting") is True
    assert redis_cache.get("greeting") is None
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=True) is client
    assert isinstance(redis_cache._cache, RedisCache(REDIS_URL, {})._class)


@pytest.mark.django_db
def test_money_throttle_counts_in_redis(redis_cache, settings, make_user, client_for):
    settings.THROTTLE_MONEY_RATE = "2/min"
    alice, bob = make_user(balance="10.00"), make_user()
    client = client_for(alice)
    statuses = [client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json").status_code
                for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert [key for key in redis_cache._cache.get_client().keys("*") if b"throttle_money" in key]
