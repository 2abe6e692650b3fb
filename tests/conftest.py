"""Fixtures for every layer; shared helpers live in tests/support/."""
from decimal import Decimal

import pytest
from django.core.servers.basehttp import WSGIServer
from rest_framework.test import APIClient

from apps.users.services import user_create
from apps.wallets.services import deposit_create, transfer_create
from tests.support.factories import DEFAULT_PASSWORD, access_token_for

# The live test server must accept a burst of simultaneous connections
# (the concurrency tests open dozens at once); the default backlog is 10.
WSGIServer.request_queue_size = 128

LAYER_MARKERS = {"e2e": "e2e", "browser": "browser"}


def pytest_collection_modifyitems(items):
    """Each test in tests/e2e/ or tests/browser/ carries its layer's marker (``-m "not e2e"``)."""
    for item in items:
        layer = item.path.parent.name
        if layer in LAYER_MARKERS:
            item.add_marker(LAYER_MARKERS[layer])


@pytest.fixture
def make_user(db):
    """Create an active user with a wallet holding ``balance`` (via a real deposit)."""
    counter = iter(range(1, 10_000))

    def make(username=None, balance="0.00", **extra):
        user = user_create(username=username or f"user{next(counter)}", password=DEFAULT_PASSWORD)
        for name, value in extra.items():
            setattr(user, name, value)
        if extra:
            user.save()
        if Decimal(balance) > 0:
            deposit_create(user_id=user.pk, amount=Decimal(balance))
        return user

    return make


@pytest.fixture
def alice(make_user):
    """A user holding 100.00 (modules needing other balances define their own)."""
    return make_user(username="alice", balance="100.00")


@pytest.fixture
def bob(make_user):
    """A user with an empty wallet."""
    return make_user(username="bob")


@pytest.fixture
def transfer(alice, bob):
    """A committed 12.34 transfer from alice to bob (its receipt owed, not yet rendered)."""
    return transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("12.34")).transaction


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for():
    """An API client authenticated as the given user with a bearer token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
        return client

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _relaxed_throttling(settings):
    """No test is throttled unless it sets a rate itself; counters start empty."""
    from django.core.cache import cache

    settings.THROTTLE_MONEY_RATE = "100000/min"
    settings.THROTTLE_AUTH_RATE = "100000/min"
    settings.THROTTLE_LOOKUP_RATE = "100000/min"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def redis_broker():
    """A Redis URL for real worker processes (tests/background.py)."""
    from tests.support.background import redis_broker_url

    return redis_broker_url()


@pytest.fixture
def background(redis_broker, tmp_path, settings):
    """Real Celery worker and beat processes of one test, on the test database."""
    from tests.support.background import Background

    settings.MEDIA_ROOT = tmp_path / "media"  # the live server serves what the workers wrote
    processes = Background(settings.MEDIA_ROOT, tmp_path)
    yield processes
    processes.stop()
