"""Every error example in schema.yml is what the server answers: same code, message and details.

Each example is checked where it is documented: a real request to that
operation must get that status and exactly that body. Every answer checked
here must equal one of its operation's examples for its status, and every
(operation, status, example) of the schema must be answered by a request to
that operation, not merely by some other endpoint that sends the same body.
"""
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.money import MAX_AMOUNT
from apps.receipts.tasks import receipts_relay
from apps.wallets.holds import hold_create
from apps.wallets.models import Hold
from apps.wallets.services import deposit_create, transfer_create
from tests.support.factories import DEFAULT_PASSWORD, backdate

pytestmark = pytest.mark.django_db
SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "schema.yml").read_text())
JSON = "application/json"


def _documented() -> dict[tuple[str, str, int], dict[str, dict]]:
    """The schema's error examples: {(method, path, status): {example name: body}}."""
    found = {}
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                body = response.get("content", {}).get(JSON, {})
                if body.get("schema") == {"$ref": "#/components/schemas/Error"}:
                    found[(method.upper(), path, int(status))] = {
                        name: example["value"] for name, example in body["examples"].items()}
    return found


DOCUMENTED = _documented()
# Each 401 an access token can get, and the Authorization header that gets it (None: no header).
TOKEN_REFUSALS = {
    "not_authenticated": None,
    "token_not_valid": "Bearer not-a-token",
    "authentication_failed": "Bearer two words",
}


def _authenticated(method: str, path: str) -> bool:
    return any("jwtAuth" in way for way in SCHEMA["paths"][path][method.lower()].get("security") or [])


def _connection_lost(execute, sql, params, many, context):
    """Every statement fails as on a lost connection (savepoints pass: they are the test's own)."""
    if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
        return execute(sql, params, many, context)
    raise OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def world(make_user, client_for):
    alice = make_user(username="alice", balance="100.00")
    bob = make_user(username="bob")
    staff = make_user(username="staff", is_staff=True)
    rich = make_user(username="rich", balance=MAX_AMOUNT)
    gone = make_user(username="gone")
    gone_client = client_for(gone)
    gone_refresh = str(RefreshToken.for_user(gone))
    to_gone = transfer_create(sender_id=alice.pk, receiver_id=gone.pk, amount=Decimal("1.00"))
    gone.is_active = False
    gone.save()
    txn = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    carol = make_user(username="carol", balance="10.00")  # holds for bob, then is disabled
    carols_hold = hold_create(payer_id=carol.pk, payee_id=bob.pk, amount=Decimal("1.00"), expires_in=3600)
    from_carol = transfer_create(sender_id=carol.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    carol.is_active = False
    carol.save()
    return {
        "alice": alice, "bob": bob, "rich": rich, "txn": txn.transaction, "carols_hold": carols_hold.pk,
        "to_gone": to_gone.transaction.pk, "from_carol": from_carol.transaction.pk,
        "as_alice": client_for(alice), "as_rich": client_for(rich), "as_bob": client_for(bob),
        "as_staff": client_for(staff),
        "as_gone": gone_client, "gone_refresh": gone_refresh, "anonymous": APIClient(),
    }


def test_every_documented_error_example_is_what_the_server_answers(world, settings, make_user, client_for):
    w = world
    produced, mismatches = set(), []

    def check(method, path, status, code, response):
        body = response.json()
        if response.status_code != status or body.get("code") != code:
            mismatches.append((method, path, status, code, response.status_code, body))
            return
        examples = DOCUMENTED.get((method, path, status), {})
        matching = [name for name, example in examples.items() if example == body]
        if not matching:
            mismatches.append((method, path, status, code, "answered", body, "documented", examples))
        produced.update((method, path, status, name) for name in matching)

    def post(client, url, body, **extra):
        if isinstance(body, bytes):
            return client.generic("POST", url, body, content_type=extra.pop("content_type", JSON), **extra)
        return client.post(url, body, format="json", **extra)

    def check_refused_before_the_fields(path, client, url, body):
        """What every money POST refuses before its fields are read: the body's syntax, type, size
        and framing, and a malformed Idempotency-Key (``body`` is a valid body of ``url``)."""
        check("POST", path, 400, "parse_error", post(client, url, b"x"))
        check("POST", path, 400, "unsupported_media_type",
              post(client, url, b"amount=1", content_type="application/x-www-form-urlencoded"))
        check("POST", path, 400, "request_too_large",
              post(client, url, {**body, "pad": "x" * settings.API_MAX_BODY_BYTES}))
        check("POST", path, 400, "length_required",
              post(client, url, b"{}", HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH=""))
        check("POST", path, 400, "invalid_idempotency_key",
              post(client, url, body, HTTP_IDEMPOTENCY_KEY="\u00e9"))

    good_password = DEFAULT_PASSWORD
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
    check("GET", "/api/wallet/me/", 400, "invalid_filter", w["as_alice"].get("/api/wallet/me/", {"at": "x"}))
    system = "/api/wallet/system-accounts/"
    check("GET", system, 403, "permission_denied", w["as_alice"].get(system))

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
        check_refused_before_the_fields(url, client, url, {party: bob_id, "amount": "1.00"})
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

    # --- holds
    holds, one_hold = "/api/holds/", "/api/holds/{id}/"
    capture, void = "/api/holds/{id}/capture/", "/api/holds/{id}/void/"
    as_alice, as_bob = w["as_alice"], w["as_bob"]

    def new_hold(payee=bob_id, amount="1.00") -> int:
        response = post(as_alice, holds, {"payee_id": payee, "amount": amount})
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def hold_url(path, hold_id):
        return path.replace("{id}", str(hold_id))

    check("GET", holds, 400, "invalid_filter", as_alice.get(holds, {"role": "x"}))
    check("GET", one_hold, 404, "not_found", as_alice.get(hold_url(one_hold, 10**17)))
    check("POST", holds, 400, "invalid_amount", post(as_alice, holds, {"payee_id": bob_id, "amount": 10}))
    check("POST", holds, 400, "payee_not_found",
          post(as_alice, holds, {"payee_id": 999_999, "amount": "1.00"}))
    check("POST", holds, 400, "self_hold", post(as_alice, holds, {"payee_id": alice_id, "amount": "1.00"}))
    check("POST", holds, 400, "insufficient_funds",
          post(as_alice, holds, {"payee_id": bob_id, "amount": "1000.00"}))
    check("POST", holds, 400, "invalid_input", post(as_alice, holds, {"amount": "1.00"}))
    check("POST", holds, 400, "unknown_field",
          post(as_alice, holds, {"payee_id": bob_id, "amount": "1.00", "receiver_id": 1}))
    check("POST", holds, 403, "account_inactive",
          post(w["as_gone"], holds, {"payee_id": bob_id, "amount": "1.00"}))
    held = new_hold()
    check("POST", capture, 400, "amount_exceeds_hold",
          post(as_bob, hold_url(capture, held), {"amount": "1.01"}))
    check("POST", capture, 400, "invalid_amount", post(as_bob, hold_url(capture, held), {"amount": 1}))
    check("POST", capture, 403, "permission_denied", post(as_alice, hold_url(capture, held), {}))
    check("POST", capture, 403, "account_inactive", post(as_bob, hold_url(capture, w["carols_hold"]), {}))
    check("POST", void, 403, "account_inactive", post(as_bob, hold_url(void, w["carols_hold"]), {}))
    check("POST", capture, 404, "not_found", post(as_bob, hold_url(capture, 10**17), {}))
    check("POST", void, 404, "not_found", post(as_bob, hold_url(void, 10**17), {}))
    check("POST", void, 400, "unknown_field", post(as_alice, hold_url(void, held), {"amount": "1.00"}))
    rich_hold = new_hold(payee=rich_id)
    check("POST", capture, 400, "balance_limit_exceeded",
          post(w["as_rich"], hold_url(capture, rich_hold), {}))
    assert post(as_bob, hold_url(capture, held), {}).status_code == 200
    check("POST", capture, 409, "hold_not_active", post(as_bob, hold_url(capture, held), {}))
    check("POST", void, 409, "hold_not_active", post(as_alice, hold_url(void, held), {}))
    expired = new_hold()
    Hold.objects.filter(pk=expired).update(expires_at=timezone.now() - timedelta(seconds=1))
    check("POST", capture, 409, "hold_expired", post(as_bob, hold_url(capture, expired), {}))
    create_body = {"payee_id": bob_id, "amount": "1.00"}
    hold_bodies = ((holds, as_alice, create_body, {**create_body, "amount": "2.00"}),
                   (hold_url(capture, new_hold()), as_bob, {}, {"amount": "0.50"}),
                   (hold_url(void, new_hold()), as_alice, {}, None))
    for n, (url, client, body, other) in enumerate(hold_bodies):
        key = f"hold-key-{n}"
        path = holds if url == holds else capture if url.endswith("/capture/") else void
        check_refused_before_the_fields(path, client, url, body)
        first = post(client, url, body, HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code in (200, 201), first.content
        if other is not None:
            check("POST", path, 422, "idempotency_key_reused",
                  post(client, url, other, HTTP_IDEMPOTENCY_KEY=key))
        else:  # a void has no body to differ in: the same key on another hold is another request
            check("POST", path, 422, "idempotency_key_reused",
                  post(client, hold_url(void, new_hold()), body, HTTP_IDEMPOTENCY_KEY=key))

    # --- refunds and reversals
    refund, reverse = "/api/transactions/{id}/refund/", "/api/transactions/{id}/reverse/"
    as_staff = w["as_staff"]

    def on(path, txn_id):
        return path.replace("{id}", str(txn_id))

    def paid_to_bob(amount="5.00") -> int:
        return transfer_create(sender_id=alice_id, receiver_id=bob_id, amount=Decimal(amount)).transaction.pk

    deposit_create(user_id=alice_id, amount=Decimal("500.00"))  # alice pays for what bob gives back
    dave = make_user(username="dave")  # receives, then spends it all
    spent = transfer_create(sender_id=alice_id, receiver_id=dave.pk, amount=Decimal("2.00")).transaction.pk
    transfer_create(sender_id=dave.pk, receiver_id=alice_id, amount=Decimal("2.00"))
    as_dave = client_for(dave)
    from_rich = transfer_create(sender_id=rich_id, receiver_id=bob_id, amount=Decimal("1.00")).transaction.pk
    transfer_create(sender_id=alice_id, receiver_id=rich_id, amount=Decimal("1.00"))  # rich is full again
    old = paid_to_bob("1.00")
    backdate(old, timezone.now() - timedelta(days=settings.REFUND_WINDOW_DAYS + 1))
    deposited = deposit_create(user_id=bob_id, amount=Decimal("1.00")).transaction.pk
    for path, client, body in ((refund, as_bob, {}), (reverse, as_staff, {"reason": "Mistake"})):
        check("POST", path, 400, "invalid_amount",
              post(client, on(path, paid_to_bob()), {**body, "amount": 1}))
        check("POST", path, 400, "receiver_not_found", post(client, on(path, w["from_carol"]), body))
        check("POST", path, 400, "balance_limit_exceeded", post(client, on(path, from_rich), body))
        check("POST", path, 404, "not_found", post(client, on(path, 10**17), body))
        check("POST", path, 409, "insufficient_funds",
              post(as_dave if path == refund else client, on(path, spent), body))
        partial = paid_to_bob()
        check("POST", path, 409, "amount_exceeds_remaining",
              post(client, on(path, partial), {**body, "amount": "6.00"}))
        returned = post(client, on(path, partial), body)
        assert returned.status_code == 201, returned.content
        check("POST", path, 409, "already_fully_returned", post(client, on(path, partial), body))
        a_return = returned.json()["transaction"]["id"]  # its receiver is alice
        check("POST", path, 409, "not_refundable",
              post(client if path == reverse else w["as_alice"], on(path, a_return), body))
        url = on(path, paid_to_bob())
        check_refused_before_the_fields(path, client, url, body)
        assert post(client, url, {**body, "amount": "1.00"}, HTTP_IDEMPOTENCY_KEY="r").status_code == 201
        check("POST", path, 422, "idempotency_key_reused",
              post(client, url, {**body, "amount": "2.00"}, HTTP_IDEMPOTENCY_KEY="r"))
    check("POST", refund, 400, "unknown_field", post(as_bob, on(refund, paid_to_bob()), {"reason": "x"}))
    check("POST", refund, 409, "not_refundable", post(w["as_alice"], on(refund, paid_to_bob()), {}))
    check("POST", refund, 403, "account_inactive", post(w["as_gone"], on(refund, w["to_gone"]), {}))
    check("POST", refund, 409, "not_refundable", post(as_bob, on(refund, deposited), {}))
    check("POST", refund, 409, "not_refundable", post(as_bob, on(refund, old), {}))
    check("POST", reverse, 400, "invalid_input", post(as_staff, on(reverse, paid_to_bob()), {}))
    reason = {"reason": "x"}
    check("POST", reverse, 403, "permission_denied", post(as_bob, on(reverse, paid_to_bob()), reason))
    check("POST", reverse, 403, "account_inactive", post(as_staff, on(reverse, w["to_gone"]), reason))
    many = paid_to_bob("50.00")  # served below, a cent at a time

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
    export = "/api/transactions/export.csv"
    check("GET", export, 400, "invalid_filter", w["as_alice"].get(export, {"page_size": "5"}))
    check("GET", export, 400, "invalid_filter", w["as_alice"].get(export, {"from": "soon"}))

    # --- webhooks and events
    hooks, events = "/api/webhooks/", "/api/events/"
    hook_detail, rotate = "/api/webhooks/{id}/", "/api/webhooks/{id}/rotate-secret/"
    deliveries = "/api/webhooks/{id}/deliveries/"
    redeliver = "/api/webhooks/{id}/deliveries/{delivery_id}/redeliver/"
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the endpoints below point at an unused loopback port
    settings.WEBHOOK_ALLOW_HTTP = True
    hook = post(w["as_bob"], hooks, {"url": "http://127.0.0.1:9/", "events": ["transfer.received"]}).json()
    hook_url = f"/api/webhooks/{hook['id']}/"
    transfer_create(sender_id=alice_id, receiver_id=bob_id, amount=Decimal("1.00"))
    delivery_id = w["bob"].webhooks.get().deliveries.get().pk
    redeliver_url = f"{hook_url}deliveries/{delivery_id}/redeliver/"
    settings.WEBHOOK_ALLOW_HTTP = False
    check("POST", hooks, 400, "invalid_input",
          post(w["as_alice"], hooks, {"url": "https://93.184.215.14/", "events": ["account.closed"]}))
    check("POST", hooks, 400, "unknown_field",
          post(w["as_alice"], hooks, {"url": "https://93.184.215.14/", "events": ["transfer.sent"],
                                      "secret": "x"}))
    check("POST", hooks, 400, "webhook_url_refused",
          post(w["as_alice"], hooks, {"url": "http://93.184.215.14/", "events": ["transfer.sent"]}))
    for _ in range(settings.WEBHOOK_MAX_ENDPOINTS):
        post(w["as_rich"], hooks, {"url": "https://93.184.215.14/", "events": ["transfer.sent"]})
    check("POST", hooks, 400, "webhook_limit_reached",
          post(w["as_rich"], hooks, {"url": "https://93.184.215.14/", "events": ["transfer.sent"]}))
    for method, path in (("GET", hook_detail), ("PATCH", hook_detail), ("DELETE", hook_detail),
                         ("POST", rotate), ("GET", deliveries)):
        url = path.replace("{id}", str(hook["id"]))
        check(method, path, 404, "not_found", w["as_alice"].generic(method, url, b"{}", content_type=JSON))
    check("PATCH", hook_detail, 400, "webhook_url_refused",
          w["as_bob"].patch(hook_url, {"url": "http://93.184.215.14/"}, format="json"))
    as_bob = w["as_bob"]
    check("PATCH", hook_detail, 400, "unknown_field", as_bob.patch(hook_url, {"secret": "x"}, format="json"))
    check("POST", rotate, 400, "unknown_field", post(as_bob, f"{hook_url}rotate-secret/", {"secret": "x"}))
    check("GET", deliveries, 400, "invalid_filter", as_bob.get(f"{hook_url}deliveries/", {"page_size": "0"}))
    check("POST", redeliver, 400, "unknown_field", post(w["as_bob"], redeliver_url, {"event_id": "x"}))
    check("POST", redeliver, 404, "not_found", post(w["as_alice"], redeliver_url, {}))
    w["bob"].webhooks.update(enabled=False)
    check("POST", redeliver, 409, "webhook_disabled", post(w["as_bob"], redeliver_url, {}))
    w["bob"].webhooks.update(enabled=True)
    check("GET", events, 400, "invalid_filter", w["as_alice"].get(events, {"page_size": "0"}))

    # --- every operation: one request it would serve, by whom
    lookup_user, statement_range = {"username": "bob"}, {"from": "2026-01-01", "to": "2026-02-01"}
    fresh_refresh = [str(RefreshToken.for_user(w["alice"])) for _ in range(3)]  # written before any outage
    served = {  # (method, path) -> (url, body or query)
        ("POST", register): (register, {"username": "newcomer", "password": good_password}),
        ("POST", token): (token, {"username": "alice", "password": DEFAULT_PASSWORD}),
        ("POST", refresh): (refresh, {"refresh": fresh_refresh[0]}),
        ("POST", verify): (verify, {"token": fresh_refresh[1]}),
        ("POST", logout): (logout, {"refresh": fresh_refresh[2]}),
        ("GET", "/api/users/me/"): ("/api/users/me/", {}),
        ("GET", lookup): (lookup, lookup_user),
        ("GET", "/api/wallet/me/"): ("/api/wallet/me/", {}),
        ("POST", transfer): (transfer, {"receiver_id": bob_id, "amount": "1.00"}),
        ("POST", deposit): (deposit, {"user_id": bob_id, "amount": "1.00"}),
        ("GET", system): (system, {}),
        ("GET", history): (history, {}),
        ("GET", detail): (f"/api/transactions/{txn_id}/", {}),
        ("GET", receipt): (f"/api/transactions/{txn_id}/receipt/", {}),
        ("GET", export): (export, {}),
        ("GET", statement): (statement, statement_range),
        ("GET", holds): (holds, {}),
        ("POST", holds): (holds, {"payee_id": bob_id, "amount": "1.00"}),
        ("GET", one_hold): (hold_url(one_hold, held), {}),
        ("POST", capture): (hold_url(capture, new_hold()), {}),
        ("POST", void): (hold_url(void, new_hold()), {}),
        ("GET", hooks): (hooks, {}),
        ("POST", hooks): (hooks, {"url": "https://93.184.215.14/", "events": ["transfer.sent"]}),
        ("GET", hook_detail): (hook_url, {}),
        ("PATCH", hook_detail): (hook_url, {"description": "shop"}),
        ("DELETE", hook_detail): (hook_url, {}),
        ("POST", rotate): (f"{hook_url}rotate-secret/", {}),
        ("GET", deliveries): (f"{hook_url}deliveries/", {}),
        ("POST", redeliver): (redeliver_url, {}),
        ("GET", events): (events, {}),
        ("POST", refund): (on(refund, many), {"amount": "0.01"}),
        ("POST", reverse): (on(reverse, many), {"amount": "0.01", "reason": "Mistake"}),
    }

    def send(method, path, client=None, **extra):
        url, data = served[(method, path)]
        if client is None:
            staff_only = path in (deposit, system, reverse)
            client = w["as_staff"] if staff_only else as_bob if path in (capture, refund) \
                else w["as_bob"] if "/webhooks/" in path \
                else w["as_alice"] if _authenticated(method, path) else anonymous
        if method == "GET":
            return client.get(url, data, **extra)
        if method in ("PATCH", "DELETE"):
            return client.generic(method, url, json.dumps(data).encode(), content_type=JSON, **extra)
        return post(client, url, data, **extra)

    for method, path, status in sorted(DOCUMENTED):
        if status == 401 and _authenticated(method, path):
            for code, header in TOKEN_REFUSALS.items():
                extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
                check(method, path, 401, code, send(method, path, APIClient(), **extra))
        if status == 503:
            with connection.execute_wrapper(_connection_lost):
                check(method, path, 503, "database_unavailable", send(method, path))

    # --- rate limits (last: they use the counters up, and each first request is served)
    settings.THROTTLE_AUTH_RATE = settings.THROTTLE_MONEY_RATE = settings.THROTTLE_LOOKUP_RATE = "1/min"
    for method, path, status in sorted(DOCUMENTED):
        if status == 429:
            cache.clear()
            send(method, path)
            check(method, path, 429, "throttled", send(method, path))

    assert mismatches == []
    documented = {(method, path, status, name) for (method, path, status), examples in DOCUMENTED.items()
                  for name in examples}
    assert sorted(documented - produced) == [], "documented error examples that no request to their " \
                                                "operation answered"
