"""Who may call what: authentication everywhere but the public endpoints, object-level scoping.

Receipts (GET /api/transactions/{id}/receipt/) have their own object-level tests
next to the receipt feature.
"""
from decimal import Decimal

import pytest
from django.urls import get_resolver

from apps.transactions.models import Transaction
from tests.support.factories import balance_of

pytestmark = pytest.mark.django_db

PUBLIC = {
    ("POST", "/api/auth/register/"), ("POST", "/api/auth/token/"),
    ("POST", "/api/auth/token/refresh/"), ("POST", "/api/auth/token/verify/"),
    ("GET", "/api/schema/"), ("GET", "/api/docs/"), ("GET", "/api/redoc/"), ("GET", "/healthz"),
    ("GET", "/readyz"), ("GET", "/"),
}
PROTECTED = [
    ("GET", "/api/users/me/"), ("GET", "/api/users/lookup/?username=bob"),
    ("GET", "/api/wallet/me/"), ("POST", "/api/wallet/transfer/"),
    ("POST", "/api/wallet/deposit/"), ("GET", "/api/wallet/system-accounts/"),
    ("GET", "/api/transactions/"), ("GET", "/api/transactions/1/"),
    ("GET", "/api/transactions/1/receipt/"),
    ("GET", "/api/transactions/statement/?from=2026-01-01&to=2026-02-01"),
    ("GET", "/api/transactions/export.csv"),
    ("POST", "/api/transactions/1/refund/"), ("POST", "/api/transactions/1/reverse/"),
    ("POST", "/api/auth/logout/"),
    ("GET", "/api/holds/"), ("POST", "/api/holds/"), ("GET", "/api/holds/1/"),
    ("POST", "/api/holds/1/capture/"), ("POST", "/api/holds/1/void/"),
    ("GET", "/api/webhooks/"), ("POST", "/api/webhooks/"), ("GET", "/api/webhooks/1/"),
    ("PATCH", "/api/webhooks/1/"), ("DELETE", "/api/webhooks/1/"), ("POST", "/api/webhooks/1/rotate-secret/"),
    ("GET", "/api/webhooks/1/deliveries/"), ("POST", "/api/webhooks/1/deliveries/1/redeliver/"),
    ("GET", "/api/events/"),
]


@pytest.fixture
def bob(make_user):
    """Unlike the shared fixture, bob holds money here: both parties can spend."""
    return make_user(username="bob", balance="50.00")


def test_every_route_is_listed_here():
    """A new endpoint must be classified as public or protected in this file."""
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)
    routes = {r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/")}
    known = {"api/auth/register/", "api/auth/token/", "api/auth/token/refresh/", "api/auth/token/verify/",
             "api/auth/logout/", "api/users/me/", "api/users/lookup/",
             "api/schema/", "api/docs/", "api/redoc/", "healthz", "readyz", "",
             "api/^wallet/me/$", "api/^wallet/transfer/$", "api/^wallet/deposit/$",
             "api/^wallet/system-accounts/$",
             "api/^transactions/$", "api/^transactions/(?P<id>[0-9]{1,18})/$",
             "api/^transactions/(?P<id>[0-9]{1,18})/receipt/$", "api/^transactions/statement/$",
             "api/transactions/export.csv",
             "api/^transactions/(?P<id>[0-9]{1,18})/refund/$",
             "api/^transactions/(?P<id>[0-9]{1,18})/reverse/$",
             "api/^holds/$", "api/^holds/(?P<id>[0-9]{1,18})/$",
             "api/^holds/(?P<id>[0-9]{1,18})/capture/$", "api/^holds/(?P<id>[0-9]{1,18})/void/$",
             "api/^webhooks/$", "api/^webhooks/(?P<id>[0-9]{1,18})/$",
             "api/^webhooks/(?P<id>[0-9]{1,18})/rotate-secret/$",
             "api/^webhooks/(?P<id>[0-9]{1,18})/deliveries/$",
             "api/^webhooks/(?P<id>[0-9]{1,18})/deliveries/(?P<delivery_id>[0-9]{1,18})/redeliver/$",
             "api/^events/$",
             "metrics"}  # its own bearer token, METRICS_TOKEN: tests/api/test_observability.py
    assert routes - known == set(), "classify the new route in PROTECTED or PUBLIC"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("auth", [None, "Bearer garbage", "Bearer ", "Basic YWxpY2U6cHc="])
def test_protected_endpoints_need_a_valid_token(api, alice, method, path, auth):
    if auth is not None:
        api.credentials(HTTP_AUTHORIZATION=auth)
    response = api.generic(method, path, b"{}", content_type="application/json")
    assert response.status_code == 401, (method, path, response.content)
    assert response.json()["code"] in {"not_authenticated", "token_not_valid", "authentication_failed"}
    assert balance_of(alice) == Decimal("100.00")


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
def test_public_endpoints_need_no_token(api, method, path):
    response = api.generic(method, path, b"{}", content_type="application/json")
    assert response.status_code not in (401, 403), (method, path)


def test_other_users_transaction_is_404(alice, bob, make_user, client_for):
    carol = make_user(username="carol")
    own = client_for(alice).post("/api/wallet/transfer/", {"receiver_id": bob.pk, "amount": "1.00"},
                                 format="json").json()["transaction"]["id"]
    assert client_for(alice).get(f"/api/transactions/{own}/").status_code == 200
    assert client_for(bob).get(f"/api/transactions/{own}/").status_code == 200
    response = client_for(carol).get(f"/api/transactions/{own}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client_for(carol).get(f"/api/transactions/{own + 1000}/").status_code == 404  # same as missing


def test_history_never_lists_other_users_transactions(alice, bob, make_user, client_for):
    carol = make_user(username="carol")
    client_for(alice).post("/api/wallet/transfer/", {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    for query in ("", f"?counterparty={alice.pk}", f"?counterparty={bob.pk}"):
        assert client_for(carol).get(f"/api/transactions/{query}").json()["results"] == []


def test_wallet_me_is_always_the_callers(alice, bob, client_for):
    response = client_for(alice).get(f"/api/wallet/me/?user_id={bob.pk}")
    assert response.json()["user_id"] == alice.pk
    assert client_for(alice).get(f"/api/wallet/{bob.pk}/").status_code == 404  # no such route


@pytest.mark.parametrize("field", ["sender_id", "sender", "from_user_id", "wallet_id", "user_id"])
def test_no_parameter_chooses_the_sender(alice, bob, make_user, client_for, field):
    carol = make_user(username="carol")
    body = {"receiver_id": carol.pk, "amount": "10.00", field: bob.pk}
    response = client_for(alice).post("/api/wallet/transfer/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_field"
    response = client_for(alice).post(f"/api/wallet/transfer/?{field}={bob.pk}",
                                      {"receiver_id": carol.pk, "amount": "10.00"}, format="json")
    assert response.status_code == 201
    assert response.json()["transaction"]["sender_id"] == alice.pk  # the query string is ignored
    assert balance_of(bob) == Decimal("50.00")
    assert balance_of(alice) == Decimal("90.00")


def test_deposit_is_staff_only(alice, bob, client_for):
    response = client_for(alice).post("/api/wallet/deposit/", {"user_id": alice.pk, "amount": "1000.00"},
                                      format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert balance_of(alice) == Decimal("100.00")
    assert not Transaction.objects.filter(kind="deposit", amount=Decimal("1000.00")).exists()


def test_token_of_demoted_staff_cannot_deposit(make_user, client_for, bob):
    staff = make_user(username="staff", is_staff=True)
    client = client_for(staff)
    staff.is_staff = False
    staff.save()
    assert client.post("/api/wallet/deposit/", {"user_id": bob.pk, "amount": "1.00"},
                       format="json").status_code == 403


def test_unmatched_api_url_is_a_json_404(alice, client_for):
    for path in ("/api/transactions/abc/", "/api/nothing-here/", "/api/transactions/%C2%84/"):
        response = client_for(alice).get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"


def test_malformed_cursor_is_400(alice, client_for):
    response = client_for(alice).get("/api/transactions/?cursor=%%%not-base64")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"
    assert response.json()["details"]["cursor"][0]["code"] == "invalid_cursor"


@pytest.mark.parametrize(("query", "status"), [
    ("min_amount=1e999999", 400), ("max_amount=-1e-999999", 400), ("min_amount=1e131072", 400),
    ("min_amount=NaN", 400),
    # Valid RFC 3339 instants outside Python's range once moved to UTC: before (after) every
    # transaction, so they select every row.
    ("created_after=0001-01-01T00:00:00%2B23:59", 200), ("created_before=9999-12-31T23:59:59-23:59", 200),
    # A valid ISO 8601 offset that PostgreSQL cannot store: normalised to UTC, then answered.
    ("created_before=3583-01-09T17:56:12-20:20", 200),
])
def test_extreme_history_filters_never_reach_the_database_unchecked(alice, client_for, query, status):
    """Found by the schema-driven tests: these were database errors (500) on PostgreSQL."""
    response = client_for(alice).get(f"/api/transactions/?{query}")
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["code"] == "invalid_filter"
    else:
        assert len(response.json()["results"]) == 1
