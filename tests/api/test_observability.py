"""What an operator sees of a request: its id, its log line, the transaction that keeps the id,
``/metrics`` (behind its token) and logs free of secrets over a whole journey."""

from decimal import Decimal

import pytest
from django.db import connection

from apps.receipts.models import Receipt
from apps.transactions.models import Transaction
from tests.support.factories import DEFAULT_PASSWORD
from tests.support.log_capture import captured_logs
from tests.support.metrics import METRICS_TOKEN, scrape, value

pytestmark = pytest.mark.django_db
TRANSFER = "/api/wallet/transfer/"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = METRICS_TOKEN


# --- Request ids ---

def test_every_response_carries_a_new_request_id_when_none_is_sent(api, client_for, alice):
    ids = {api.get("/healthz")["X-Request-ID"], api.get("/no/such/page")["X-Request-ID"],
           client_for(alice).get("/api/wallet/me/")["X-Request-ID"]}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)


def test_a_sane_incoming_request_id_is_sent_back(api):
    assert api.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.9_b-1")["X-Request-ID"] == "lb-7f3a.9_b-1"


@pytest.mark.parametrize("hostile", ["x" * 129, "abc\ndef", "abc\r\nSet-Cookie: a=b", "ab\x07c", "a b"])
def test_a_hostile_request_id_is_replaced_in_the_response_and_the_log(api, hostile):
    with captured_logs() as logs:
        response = api.get("/healthz", HTTP_X_REQUEST_ID=hostile)
    sent_back = response["X-Request-ID"]
    assert sent_back != hostile and len(sent_back) == 32
    [line] = logs.requests()
    assert line["request_id"] == sent_back
    assert hostile not in logs.text


def test_a_transfer_s_request_id_is_in_its_response_its_log_line_and_the_transaction(
        client_for, alice, bob, admin_client):
    with captured_logs() as logs:
        response = client_for(alice).post(TRANSFER, {"receiver_id": bob.pk, "amount": "2.50"}, format="json",
                                          HTTP_X_REQUEST_ID="dispute-42")
    assert response.status_code == 201 and response["X-Request-ID"] == "dispute-42"
    txn_id = response.json()["transaction"]["id"]
    assert Transaction.objects.get(pk=txn_id).request_id == "dispute-42"

    [request_line] = logs.requests()
    assert {k: request_line[k] for k in ("request_id", "method", "route", "status", "user_id",
                                         "transaction_id", "kind", "level")} == {
        "request_id": "dispute-42", "method": "POST", "route": "/api/wallet/transfer/", "status": 201,
        "user_id": alice.pk, "transaction_id": txn_id, "kind": "transfer", "level": "INFO"}
    assert request_line["duration_ms"] > 0
    assert (request_line["amount"], request_line["replayed"]) == ("2.50", False)
    # The request line tells the movement: no second line for it.
    assert [line for line in logs.lines() if line["logger"] == "apps.wallets.services"] == []
    # Every line written while the request was served carries its id.
    assert {line.get("request_id") for line in logs.lines()} == {"dispute-42"}

    page = admin_client.get(f"/admin/transactions/transaction/{txn_id}/change/")
    assert page.status_code == 200 and b"dispute-42" in page.content


def test_a_refused_transfer_logs_its_code_and_the_route_not_the_path(client_for, alice, bob):
    with captured_logs() as logs:
        response = client_for(alice).post(TRANSFER, {"receiver_id": bob.pk, "amount": "500.00"},
                                          format="json")
        client_for(alice).get(f"/api/transactions/{10**6}/")
    assert response.json()["code"] == "insufficient_funds"
    refused, missing = logs.requests()
    assert (refused["status"], refused["kind"]) == (400, "transfer")
    assert any(line.get("code") == "insufficient_funds" for line in logs.lines())
    assert missing["route"] == "/api/transactions/{id}/" and missing["status"] == 404


def test_a_request_s_second_movement_and_a_command_s_write_lines_of_their_own(alice, bob):
    from apps.core.request_context import context_end, context_start
    from apps.wallets.services import deposit_create, transfer_create

    with captured_logs() as logs:
        token = context_start(request_id="bulk-1")
        try:
            first, second = (transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal(amount))
                             .transaction for amount in ("1.00", "2.00"))
        finally:
            context_end(token)
        command = deposit_create(user_id=bob.pk, amount=Decimal("3.00")).transaction
    own = [(line["transaction_id"], line["amount"], line.get("request_id"))
           for line in logs.lines() if line["logger"] == "apps.wallets.services"]
    assert own == [(second.pk, "2.00", "bulk-1"), (command.pk, "3.00", None)]
    assert first.pk not in {line for line, _, _ in own}  # the request's own line tells the first


def test_a_command_s_deposit_keeps_no_request_id(make_user):
    user = make_user(balance="3.00")
    assert Transaction.objects.get(receiver=user).request_id == ""


# --- /metrics ---

def test_metrics_is_a_404_without_a_token_configured(api, settings):
    settings.METRICS_TOKEN = ""
    assert api.get("/metrics").status_code == 404
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("authorization", [None, "", f"Bearer {METRICS_TOKEN}x", f"bearer{METRICS_TOKEN}",
                                           f"Basic {METRICS_TOKEN}", METRICS_TOKEN, "Bearer é"])
def test_metrics_is_a_404_without_the_right_bearer_token(api, metrics_on, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = api.get("/metrics", **headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"  # what any unknown URL answers


def test_metrics_counters_move_by_exactly_one_per_transfer(api, client_for, alice, bob, metrics_on):
    sender = client_for(alice)
    before = scrape(api)

    def send(receiver, amount):
        response = sender.post(TRANSFER, {"receiver_id": receiver.pk, "amount": amount}, format="json")
        return response.status_code

    assert [send(bob, "1.00") for _ in range(3)] == [201, 201, 201]
    assert (send(bob, "999.00"), send(alice, "1.00")) == (400, 400)
    after = scrape(api)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("wallet_money_movements_total", kind="transfer", outcome="completed") == 3
    assert moved("wallet_money_movements_total", kind="transfer", outcome="insufficient_funds") == 1
    assert moved("wallet_money_movements_total", kind="transfer", outcome="self_transfer") == 1
    assert moved("wallet_http_requests_total", route=TRANSFER, method="POST", status="201") == 3
    assert moved("wallet_http_requests_total", route=TRANSFER, method="POST", status="400") == 2
    assert moved("wallet_http_request_duration_seconds_count", route=TRANSFER, method="POST") == 5
    assert moved("wallet_http_request_duration_seconds_bucket", route=TRANSFER, method="POST", le="+Inf") == 5
    # The scrape before this one is counted too: by its route, never by a raw path.
    assert moved("wallet_http_requests_total", route="/metrics", method="GET", status="200") == 1


def test_an_idempotent_replay_is_counted_as_replayed_not_as_a_second_transfer(api, client_for, alice, bob,
                                                                              metrics_on):
    before = scrape(api)
    for _ in range(2):
        client_for(alice).post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json",
                               HTTP_IDEMPOTENCY_KEY="once")
    after = scrape(api)
    for outcome in ("completed", "replayed"):
        assert (value(after, "wallet_money_movements_total", kind="transfer", outcome=outcome)
                - value(before, "wallet_money_movements_total", kind="transfer", outcome=outcome)) == 1


def test_metrics_show_the_receipt_backlog_from_the_database(api, transfer, make_user, metrics_on):
    make_user(balance="1.00")  # a deposit: a second owed receipt
    Receipt.objects.filter(pk=transfer.pk).update(status=Receipt.Status.FAILED)
    owed = Receipt.objects.filter(status="pending").count()
    samples = scrape(api)
    assert value(samples, "wallet_receipts_owed") == owed >= 1
    assert value(samples, "wallet_receipts_failed") == 1
    assert value(samples, "wallet_receipt_backlog_up") == 1
    oldest = Transaction.objects.filter(receipt__status="pending").order_by("created_at").first()
    from django.utils import timezone

    assert 0 < value(samples, "wallet_receipts_oldest_owed_age_seconds") <= (
        timezone.now() - oldest.created_at).total_seconds()


def test_metrics_report_the_relay_s_claims_and_the_ledger_checks(api, transfer, metrics_on):
    from django.core.management import call_command

    from apps.receipts.services import receipts_claim, receipts_render

    before = scrape(api)
    ids = receipts_claim(limit=10)
    receipts_render(transaction_ids=ids)
    call_command("verify_ledger")
    after = scrape(api)
    assert (value(after, "wallet_receipt_relay_claims_total")
            - value(before, "wallet_receipt_relay_claims_total")) == len(ids) >= 1
    assert (value(after, "wallet_receipt_renders_total", outcome="ready")
            - value(before, "wallet_receipt_renders_total", outcome="ready")) == len(ids)
    assert (value(after, "wallet_ledger_verifications_total", outcome="ok")
            - value(before, "wallet_ledger_verifications_total", outcome="ok")) == 1
    assert value(after, "wallet_ledger_discrepancies") == 0
    assert value(after, "wallet_receipts_owed") == 0


def test_a_claim_after_a_lease_ran_out_counts_a_lease_expiry(api, transfer, metrics_on, settings):
    from datetime import timedelta

    from apps.receipts.services import receipts_claim

    before = scrape(api)
    claimed = receipts_claim(limit=10)  # the deposit's and the transfer's; then the worker dies
    assert transfer.pk in claimed
    lease = timedelta(seconds=settings.RECEIPT_LEASE_SECONDS)
    for receipt in Receipt.objects.filter(pk=transfer.pk):  # its lease ran out a lease ago
        Receipt.objects.filter(pk=receipt.pk).update(due_at=receipt.due_at - lease,
                                                     updated_at=receipt.updated_at - lease)
    assert receipts_claim(limit=10) == [transfer.pk]
    after = scrape(api)
    assert (value(after, "wallet_receipt_relay_claims_total")
            - value(before, "wallet_receipt_relay_claims_total")) == len(claimed) + 1
    assert (value(after, "wallet_receipt_relay_lease_expiries_total")
            - value(before, "wallet_receipt_relay_lease_expiries_total")) == 1


def test_metrics_is_not_in_the_api_schema(api):
    schema = api.get("/api/schema/?format=json").json()
    assert "/metrics" not in schema["paths"] and "/readyz" in schema["paths"]


# --- No secret in the logs of a whole journey ---

@pytest.mark.django_db(transaction=True)
def test_no_secret_appears_in_the_logs_of_a_journey(api, make_user, settings):
    """Register, sign in, register a webhook, transfer, refresh, log out; SQL logged too (DEBUG)."""
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver = make_user(username="payee")
    password = "Correct-Horse-Battery-Staple-91"
    with captured_logs(level=10) as logs:
        connection.force_debug_cursor = True  # every SQL statement and its parameters in the log
        try:
            assert api.post("/api/auth/register/", {"username": "journey", "password": password},
                            format="json").status_code == 201
            tokens = api.post("/api/auth/token/", {"username": "journey", "password": password},
                              format="json").json()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
            hook = api.post("/api/webhooks/", {"url": "http://127.0.0.1:9/hooks",
                                               "events": ["transfer.sent"]}, format="json").json()
            rotated = api.post(f"/api/webhooks/{hook['id']}/rotate-secret/", {}, format="json").json()
            transfer = api.post(TRANSFER, {"receiver_id": receiver.pk, "amount": "1.00"}, format="json")
            assert transfer.json()["code"] == "insufficient_funds"
            refreshed = api.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]},
                                 format="json").json()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed['access']}")
            assert api.post("/api/auth/logout/", {"refresh": refreshed["refresh"]},
                            format="json").status_code == 204
            assert api.post("/api/auth/token/", {"username": "journey", "password": "wrong-" + password},
                            format="json").status_code == 401
        finally:
            connection.force_debug_cursor = False
    routes = [line["route"] for line in logs.requests()]
    assert routes == ["/api/auth/register/", "/api/auth/token/", "/api/webhooks/",
                      "/api/webhooks/{id}/rotate-secret/", TRANSFER, "/api/auth/token/refresh/",
                      "/api/auth/logout/", "/api/auth/token/"]
    assert any(line["logger"] == "django.db.backends" for line in logs.lines()), "SQL was logged"
    secrets = [password, DEFAULT_PASSWORD, settings.SECRET_KEY, tokens["access"], tokens["refresh"],
               refreshed["access"], refreshed["refresh"]]
    # The signature of each token too: the part that makes it usable.
    secrets += [token.rsplit(".", 1)[1] for token in secrets[3:]]
    secrets += [hook["secret"], rotated["secret"], settings.WEBHOOK_SECRET_KEY]  # webhook signing secrets
    leaked = [secret for secret in secrets if secret in logs.text]
    assert leaked == []
    assert "Bearer " not in logs.text.replace("Bearer [redacted]", "")
