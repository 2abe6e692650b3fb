"""Every error example in schema.yml is what the server answers: same code, message and details.

Each documented example is produced by a real request here; the example of
that operation, status and code must equal the body received, and every
distinct example of the schema must have been produced at least once.
"""
import json
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.transactions.tasks import receipts_relay
from apps.wallets.services import max_balance, transfer_create
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "schema.yml").read_text())
JSON = "application/json"


def _example(method: str, path: str, status: int, code: str) -> dict:
    response = SCHEMA["paths"][path][method.lower()]["responses"].get(str(status))
    assert response is not None, f"{method} {path} does not document {status}"
    examples = response["content"]["application/json"]["examples"].values()
    found = [e["value"] for e in examples if e["value"]["code"] == code]
    assert found, f"{method} {path} {status} has no example of `{code}`"
    return found[0]


def _all_examples() -> set[str]:
    seen = set()
    for item in SCHEMA["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                body = response.get("content", {}).get("application/json", {})
                if body.get("schema") == {"$ref": "#/components/schemas/Error"}:
                    seen |= {json.dumps(e["value"], sort_keys=True) for e in body["examples"].values()}
    return seen


@pytest.fixture
def world(make_user, client_for):
    alice = make_user(username="alice", balance="100.00")
    bob = make_user(username="bob")
    staff = make_user(username="staff", is_staff=True)
    rich = make_user(username="rich", balance=max_balance())
    gone = make_user(username="gone")
    gone_client = client_for(gone)
    gone_refresh = str(RefreshToken.for_user(gone))
    gone.is_active = False
    gone.save()
    txn = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    return {
        "alice": alice, "bob": bob, "rich": rich, "txn": txn.transaction,
        "as_alice": client_for(alice), "as_bob": client_for(bob), "as_staff": client_for(staff),
        "as_gone": gone_client, "gone_refresh": gone_refresh, "anonymous": APIClient(),
    }


def test_every_documented_error_example_is_what_the_server_answers(world, settings):
    w = world
    produced, mismatches = set(), []

    def check(method, path, status, code, response):
        body = response.json()
        if response.status_code != status or body.get("code") != code:
            mismatches.append((method, path, status, code, response.status_code, body))
            return
        example = _example(method, path, status, code)
        if body != example:
            mismatches.append((method, path, status, code, "example", example, "answered", body))
        produced.add(json.dumps(body, sort_keys=True))

    def post(client, url, body, **extra):
        if isinstance(body, bytes):
            return client.generic("POST", url, body, content_type=extra.pop("content_type", JSON), **extra)
        return client.post(url, body, format="json", **extra)

    good_password = "a-fine-password-42"
    register, token = "/api/auth/register/", "/api/auth/token/"
    refresh, verify, logout = "/api/auth/token/refresh/", "/api/auth/token/verify/", "/api/auth/logout/"
    transfer, deposit = "/api/wallet/transfer/", "/api/wallet/deposit/"
    anonymous = w["anonymous"]

    # --- accounts and tokens
    check("POST", register, 400, "invalid_input", post(anonymous, register, {"password": good_password}))
    check("POST", register, 400, "username_taken",
          post(anonymous, register, {"username": "ALICE", "password": good_password}))
    check("POST", register, 400, "username_unprintable",
          post(anonymous, register, {"username": "\u0930\u092e\u0928_1", "password": good_password}))
    check("POST", register, 400, "invalid_password",
          post(anonymous, register, {"username": "newbie", "password": "x7#Qa"}))
    check("POST", register, 400, "unknown_field",
          post(anonymous, register, {"username": "newbie", "password": good_password, "is_staff": True}))
    check("POST", register, 400, "parse_error", post(anonymous, register, b"x"))
    check("POST", token, 400, "invalid_input", post(anonymous, token, {"password": good_password}))
    check("POST", token, 400, "unknown_field",
          post(anonymous, token, {"username": "alice", "password": DEFAULT_PASSWORD, "grant_type": "x"}))
    check("POST", token, 400, "parse_error", post(anonymous, token, b"x"))
    check("POST", token, 401, "no_active_account",
          post(anonymous, token, {"username": "alice", "password": "wrong-password"}))
    check("POST", refresh, 400, "invalid_input", post(anonymous, refresh, {}))
    check("POST", refresh, 400, "unknown_field",
          post(anonymous, refresh, {"refresh": "x", "grant_type": "refresh_token"}))
    check("POST", refresh, 400, "parse_error", post(anonymous, refresh, b"x"))
    check("POST", refresh, 401, "token_not_valid", post(anonymous, refresh, {"refresh": "not-a-token"}))
    check("POST", refresh, 401, "no_active_account", post(anonymous, refresh, {"refresh": w["gone_refresh"]}))
    check("POST", verify, 400, "invalid_input", post(anonymous, verify, {}))
    check("POST", verify, 400, "unknown_field", post(anonymous, verify, {"token": "x", "grant_type": "x"}))
    check("POST", verify, 400, "parse_error", post(anonymous, verify, b"x"))
    check("POST", verify, 401, "token_not_valid", post(anonymous, verify, {"token": "not-a-token"}))
    check("POST", logout, 400, "invalid_input", post(w["as_alice"], logout, {}))
    check("POST", logout, 400, "unknown_field", post(w["as_alice"], logout, {"refresh": "x", "access": "y"}))
    check("POST", logout, 400, "parse_error", post(w["as_alice"], logout, b"x"))
    check("POST", logout, 401, "token_not_valid", post(w["as_alice"], logout, {"refresh": "not-a-token"}))
    check("POST", logout, 401, "not_authenticated", post(anonymous, logout, {"refresh": "x"}))

    # --- who is calling
    check("GET", "/api/users/me/", 404, "not_found", w["as_gone"].get("/api/users/me/"))
    lookup = "/api/users/lookup/"
    check("GET", lookup, 400, "invalid_input", w["as_alice"].get(lookup))
    check("GET", lookup, 404, "user_not_found", w["as_alice"].get(lookup, {"username": "nobody"}))
    check("GET", "/api/wallet/me/", 401, "not_authenticated", anonymous.get("/api/wallet/me/"))
    check("GET", "/api/wallet/me/", 401, "token_not_valid",
          anonymous.get("/api/wallet/me/", HTTP_AUTHORIZATION="Bearer not-a-token"))
    check("GET", "/api/wallet/me/", 401, "authentication_failed",
          anonymous.get("/api/wallet/me/", HTTP_AUTHORIZATION="Bearer two words"))
    check("GET", "/api/wallet/me/", 404, "not_found", w["as_gone"].get("/api/wallet/me/"))
    with mock.patch("apps.wallets.views.wallet_get", side_effect=OperationalError("connection lost")):
        check("GET", "/api/wallet/me/", 503, "database_unavailable", w["as_alice"].get("/api/wallet/me/"))

    # --- moving money
    bob_id, alice_id, rich_id = w["bob"].pk, w["alice"].pk, w["rich"].pk
    for url, party, client in ((transfer, "receiver_id", w["as_alice"]), (deposit, "user_id", w["as_staff"])):
        check("POST", url, 400, "invalid_amount", post(client, url, {party: bob_id, "amount": 10}))
        check("POST", url, 400, "receiver_not_found", post(client, url, {party: 999_999, "amount": "1.00"}))
        check("POST", url, 400, "balance_limit_exceeded",
              post(client, url, {party: rich_id, "amount": "1.00"}))
        check("POST", url, 400, "invalid_input", post(client, url, {"amount": "1.00"}))
        check("POST", url, 400, "unknown_field", post(client, url, {
            party: bob_id, "amount": "1.00", "sender_id" if url == transfer else "receiver_id": 1}))
        check("POST", url, 400, "parse_error", post(client, url, b"x"))
        check("POST", url, 400, "unsupported_media_type",
              post(client, url, b"amount=1", content_type="application/x-www-form-urlencoded"))
        check("POST", url, 400, "request_too_large",
              post(client, url, {party: bob_id, "amount": "1.00", "pad": "x" * settings.API_MAX_BODY_BYTES}))
        check("POST", url, 400, "length_required",
              post(client, url, b"{}", HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""))
        check("POST", url, 400, "invalid_idempotency_key",
              post(client, url, {party: bob_id, "amount": "1.00"}, HTTP_IDEMPOTENCY_KEY="\u00e9"))
        first = post(client, url, {party: bob_id, "amount": "1.00"}, HTTP_IDEMPOTENCY_KEY="k")
        assert first.status_code == 201, first.content
        check("POST", url, 422, "idempotency_key_reused",
              post(client, url, {party: bob_id, "amount": "2.00"}, HTTP_IDEMPOTENCY_KEY="k"))
    check("POST", transfer, 400, "self_transfer", post(w["as_alice"], transfer, {"receiver_id": alice_id,
                                                                                 "amount": "1.00"}))
    check("POST", transfer, 400, "insufficient_funds",
          post(w["as_bob"], transfer, {"receiver_id": alice_id, "amount": "1000.00"}))
    check("POST", transfer, 403, "account_inactive",
          post(w["as_gone"], transfer, {"receiver_id": alice_id, "amount": "1.00"}))
    check("POST", deposit, 403, "permission_denied",
          post(w["as_alice"], deposit, {"user_id": bob_id, "amount": "1.00"}))

    # --- history and receipts
    history, detail = "/api/transactions/", "/api/transactions/{id}/"
    receipt = "/api/transactions/{id}/receipt/"
    txn_id = w["txn"].pk
    check("GET", history, 400, "invalid_filter", w["as_alice"].get(history, {"page_size": "0"}))
    check("GET", detail, 404, "not_found", w["as_alice"].get(f"/api/transactions/{10**17}/"))
    statement = "/api/transactions/statement/"
    check("GET", statement, 400, "invalid_filter",
          w["as_alice"].get(statement, {"from": "2025-01-01", "to": "2026-01-03"}))
    check("GET", receipt, 409, "receipt_pending", w["as_alice"].get(f"/api/transactions/{txn_id}/receipt/"))
    receipts_relay()
    check("GET", receipt, 400, "invalid_input",
          w["as_alice"].get(f"/api/transactions/{txn_id}/receipt/", {"format": "docx"}))
    check("GET", receipt, 400, "unknown_field",
          w["as_alice"].get(f"/api/transactions/{txn_id}/receipt/", {"download": "1"}))
    check("GET", receipt, 404, "not_found", w["as_alice"].get(f"/api/transactions/{10**17}/receipt/"))

    # --- rate limits (last: they use the counters up)
    settings.THROTTLE_AUTH_RATE = "1/min"
    cache.clear()
    post(anonymous, register, {"password": good_password})
    check("POST", register, 429, "throttled", post(anonymous, register, {"password": good_password}))

    assert mismatches == []
    assert _all_examples() - produced == set(), "documented error examples no request here produced"
