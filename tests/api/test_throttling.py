"""Rate limits: per user on money movements, per client IP on auth endpoints."""
from decimal import Decimal

import pytest

from tests.support.factories import DEFAULT_PASSWORD, balance_of

pytestmark = pytest.mark.django_db
TRANSFER = "/api/wallet/transfer/"


def test_money_endpoints_are_limited_per_user(settings, make_user, client_for):
    settings.THROTTLE_MONEY_RATE = "3/min"
    alice = make_user(balance="100.00")
    carol = make_user(balance="100.00")
    bob = make_user()
    client = client_for(alice)
    statuses = [client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json").status_code
                for _ in range(4)]
    assert statuses == [201, 201, 201, 429]

    throttled = client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert set(throttled.json()) == {"code", "message", "details"}
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert balance_of(alice) == Decimal("97.00")
    # Another user has their own budget.
    other = client_for(carol).post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert other.status_code == 201


def test_deposit_shares_the_money_budget(settings, make_user, client_for):
    settings.THROTTLE_MONEY_RATE = "2/min"
    staff = make_user(is_staff=True)
    bob = make_user()
    client = client_for(staff)
    statuses = [client.post("/api/wallet/deposit/", {"user_id": bob.pk, "amount": "1.00"},
                            format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert balance_of(bob) == Decimal("2.00")


def test_reads_are_not_limited_by_the_money_rate(settings, make_user, client_for):
    settings.THROTTLE_MONEY_RATE = "1/min"
    client = client_for(make_user())
    assert {client.get("/api/wallet/me/").status_code for _ in range(5)} == {200}


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/register/", "/api/auth/token/refresh/",
                                  "/api/auth/token/verify/"])
def test_auth_endpoints_are_limited_per_ip(settings, api, make_user, path):
    settings.THROTTLE_AUTH_RATE = "2/min"
    make_user(username="alice")
    body = {"username": "alice", "password": "wrong-password-123"}
    first = [api.post(path, body, format="json", REMOTE_ADDR="10.0.0.1").status_code for _ in range(2)]
    assert 429 not in first
    blocked = api.post(path, body, format="json", REMOTE_ADDR="10.0.0.1")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert "Retry-After" in blocked
    # A different client IP is not affected.
    assert api.post(path, body, format="json", REMOTE_ADDR="10.0.0.2").status_code != 429


def test_auth_limit_blocks_password_guessing_even_with_right_password(settings, api, make_user):
    settings.THROTTLE_AUTH_RATE = "3/min"
    make_user(username="alice")
    for _ in range(3):
        api.post("/api/auth/token/", {"username": "alice", "password": "guess"}, format="json")
    right = api.post("/api/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json")
    assert right.status_code == 429


def test_rates_come_from_the_environment():
    import subprocess
    import sys

    code = "from django.conf import settings as s; print(s.THROTTLE_MONEY_RATE, s.THROTTLE_AUTH_RATE)"
    # A DATABASE_URL (never connected to here), so that no embedded server is started for this.
    env = {"THROTTLE_MONEY_RATE": "7/sec", "THROTTLE_AUTH_RATE": "5/hour", "SECRET_KEY": "x" * 60,
           "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",
           "DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["7/sec", "5/hour"]
