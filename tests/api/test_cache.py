"""The Redis cache backend (throttle counters) against the real Redis server."""
import time
from decimal import Decimal

import pytest
from django.core.cache import cache

from apps.core.cache import RedisCache
from tests.support.factories import DEFAULT_PASSWORD, access_token_for, balance_of
from tests.support.http import post_json
from tests.unit.test_settings import _load_settings

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
    throttled = client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert throttled.json()["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert balance_of(alice) == Decimal("8.00")
    assert [key for key in redis_cache._cache.get_client().keys("*") if b"throttle_money" in key]


def test_hit_counts_atomically_within_a_window(redis_cache):
    assert redis_cache.hit("counter", 60)[0] == 1
    count, resets_in = redis_cache.hit("counter", 60)
    assert count == 2 and 0 < resets_in <= 60
    redis_cache._cache.get_client().expire(redis_cache.make_and_validate_key("counter"), 1)
    time.sleep(1.1)
    assert redis_cache.hit("counter", 60)[0] == 1  # a new window


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_all_counted(redis_cache, settings, make_user, live_server):
    """Threads racing through the Redis throttle: exactly the rate's worth get through."""
    from concurrent.futures import ThreadPoolExecutor

    settings.THROTTLE_MONEY_RATE = "5/min"
    alice, bob = make_user(balance="100.00"), make_user()
    token = access_token_for(alice)

    def send(_):
        return post_json(live_server.url + TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, token)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(12)))
    assert sorted(statuses) == [201] * 5 + [429] * 7
    assert balance_of(alice) == Decimal("95.00")


@pytest.fixture
def unreachable_redis(settings):
    original = settings.CACHES
    settings.CACHES = {"default": {"BACKEND": "apps.core.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
                                   "OPTIONS": {"socket_connect_timeout": 0.5}}}
    yield
    settings.CACHES = original  # before the autouse fixture clears the cache


@pytest.mark.django_db
def test_an_unreachable_redis_lets_requests_through_unthrottled(unreachable_redis, settings, make_user,
                                                                 client_for, api, caplog):
    """Rate limits are a brake: a cache outage must not make transfers and sign-ins fail with 500."""
    settings.THROTTLE_MONEY_RATE = "1/min"
    settings.THROTTLE_AUTH_RATE = "1/min"
    alice, bob = make_user(username="alice", balance="10.00"), make_user()
    client = client_for(alice)
    statuses = [client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json").status_code
                for _ in range(2)]
    assert statuses == [201, 201]
    assert balance_of(alice) == Decimal("8.00")
    signed_in = api.post("/api/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD},
                         format="json")
    assert signed_in.status_code == 200
    assert "Rate-limit counter unavailable" in caplog.text
