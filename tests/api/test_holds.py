"""Holds: reserve now, capture or void later, expire on time; every mistake a stable code."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.receipts.models import Receipt
from apps.transactions.models import Transaction
from apps.wallets.holds import holds_expire
from apps.wallets.models import Hold, Wallet
from tests.support.factories import balance_of

pytestmark = pytest.mark.django_db

HOLDS = "/api/holds/"


def hold(client, payee, amount, **extra):
    return client.post(HOLDS, {"payee_id": payee.pk, "amount": amount, **extra}, format="json")


def capture(client, hold_id, **body):
    return client.post(f"{HOLDS}{hold_id}/capture/", body, format="json")


def void(client, hold_id):
    return client.post(f"{HOLDS}{hold_id}/void/", {}, format="json")


def wallet(client) -> dict:
    body = client.get("/api/wallet/me/").json()
    return {k: body[k] for k in ("balance", "held", "available")}


@pytest.fixture
def payer(make_user):
    return make_user(username="payer", balance="100.00")


@pytest.fixture
def shop(make_user):
    return make_user(username="shop")


def test_a_hold_reserves_available_money_and_transfers_see_it(payer, shop, make_user, client_for):
    api, other = client_for(payer), make_user()
    created = hold(api, shop, "60.00", description="Room 12")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["amount"], body["payer"]["id"], body["payee"]["id"]) == (
        "active", "60.00", payer.pk, shop.pk)
    assert wallet(api) == {"balance": "100.00", "held": "60.00", "available": "40.00"}

    refused = api.post("/api/wallet/transfer/", {"receiver_id": other.pk, "amount": "50.00"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (400, "insufficient_funds")
    sent = api.post("/api/wallet/transfer/", {"receiver_id": other.pk, "amount": "40.00"}, format="json")
    assert sent.status_code == 201
    assert wallet(api) == {"balance": "60.00", "held": "60.00", "available": "0.00"}


def test_the_payee_captures_part_and_the_rest_is_released_at_once(payer, shop, client_for):
    api, payee = client_for(payer), client_for(shop)
    hold_id = hold(api, shop, "60.00").json()["id"]
    captured = capture(payee, hold_id, amount="30.00")
    assert captured.status_code == 200, captured.json()
    body = captured.json()
    assert (body["status"], body["captured_amount"]) == ("captured", "30.00")
    assert wallet(api) == {"balance": "70.00", "held": "0.00", "available": "70.00"}
    assert balance_of(shop) == Decimal("30.00")
    txn = Transaction.objects.get(pk=body["capture_transaction_id"])
    assert (txn.kind, txn.sender_id, txn.receiver_id, txn.amount) == ("transfer", payer.pk, shop.pk,
                                                                       Decimal("30.00"))
    assert Receipt.objects.filter(pk=txn.pk, status="pending").exists()  # its receipt is owed

    again = capture(payee, hold_id, amount="10.00")
    assert (again.status_code, again.json()["code"], again.json()["details"]) == (
        409, "hold_not_active", {"status": "captured"})
    voided = void(api, hold_id)
    assert (voided.status_code, voided.json()["code"]) == (409, "hold_not_active")
    assert balance_of(payer) == Decimal("70.00") and balance_of(shop) == Decimal("30.00")


def test_a_void_by_either_party_releases_the_amount(payer, shop, client_for):
    api = client_for(payer)
    first = hold(api, shop, "25.00").json()["id"]
    second = hold(api, shop, "25.00").json()["id"]
    assert void(api, first).json()["status"] == "voided"
    assert void(client_for(shop), second).json()["status"] == "voided"
    assert wallet(api) == {"balance": "100.00", "held": "0.00", "available": "100.00"}
    assert (void(api, first).status_code, void(api, first).json()["details"]) == (409, {"status": "voided"})


def test_an_expired_hold_is_available_before_any_sweep_and_cannot_be_captured(payer, shop, client_for):
    api = client_for(payer)
    hold_id = hold(api, shop, "80.00", expires_in=60).json()["id"]
    Hold.objects.filter(pk=hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))  # time passes
    assert wallet(api) == {"balance": "100.00", "held": "0.00", "available": "100.00"}
    assert client_for(payer).get(f"{HOLDS}{hold_id}/").json()["status"] == "expired"
    refused = capture(client_for(shop), hold_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "hold_expired")
    # A transfer of the whole balance releases it in the same transaction (held <= balance holds).
    sent = api.post("/api/wallet/transfer/", {"receiver_id": shop.pk, "amount": "100.00"}, format="json")
    assert sent.status_code == 201, sent.json()
    assert Hold.objects.get(pk=hold_id).status == "expired"
    assert Wallet.objects.get(user=payer).held == Decimal("0.00")


def test_the_sweep_marks_expired_holds_and_releases_held(payer, shop, client_for):
    api = client_for(payer)
    old = hold(api, shop, "30.00").json()["id"]
    live = hold(api, shop, "20.00").json()["id"]
    Hold.objects.filter(pk=old).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert holds_expire() == 1
    assert Hold.objects.get(pk=old).status == "expired" and Hold.objects.get(pk=live).status == "active"
    assert Wallet.objects.get(user=payer).held == Decimal("20.00")
    assert holds_expire() == 0


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"amount": "100.01"}, 400, "insufficient_funds"),
    ({"amount": "0.00"}, 400, "invalid_amount"),
    ({"amount": "5.00", "expires_in": 59}, 400, "invalid_input"),
    ({"amount": "5.00", "expires_in": 7 * 24 * 3600 + 1}, 400, "invalid_input"),
    ({"amount": "5.00", "payee_id": 987654}, 400, "payee_not_found"),
    ({"amount": "5.00", "receiver_id": 1}, 400, "unknown_field"),
])
def test_a_refused_hold_changes_nothing(payer, shop, client_for, body, status, code):
    api = client_for(payer)
    response = api.post(HOLDS, {"payee_id": shop.pk, **body}, format="json")
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    assert Hold.objects.count() == 0
    assert wallet(api) == {"balance": "100.00", "held": "0.00", "available": "100.00"}


def test_a_payer_cannot_hold_for_themselves(payer, client_for):
    response = hold(client_for(payer), payer, "5.00")
    assert (response.status_code, response.json()["code"]) == (400, "self_hold")


def test_capture_above_the_hold_and_by_the_payer_are_refused(payer, shop, client_for):
    hold_id = hold(client_for(payer), shop, "20.00").json()["id"]
    above = capture(client_for(shop), hold_id, amount="20.01")
    assert (above.status_code, above.json()["code"]) == (400, "amount_exceeds_hold")
    by_payer = capture(client_for(payer), hold_id)
    assert (by_payer.status_code, by_payer.json()["code"]) == (403, "permission_denied")
    assert Hold.objects.get(pk=hold_id).status == "active" and balance_of(shop) == Decimal("0.00")


def test_anyone_else_gets_404_for_every_hold_operation(payer, shop, make_user, client_for):
    hold_id = hold(client_for(payer), shop, "20.00").json()["id"]
    stranger = client_for(make_user())
    assert stranger.get(f"{HOLDS}{hold_id}/").status_code == 404
    assert capture(stranger, hold_id).status_code == 404
    assert void(stranger, hold_id).status_code == 404
    assert stranger.get(HOLDS).json()["results"] == []


def test_lists_by_role_and_status_newest_first(payer, shop, client_for):
    api = client_for(payer)
    ids = [hold(api, shop, "10.00").json()["id"] for _ in range(3)]
    void(api, ids[0])
    assert [h["id"] for h in api.get(HOLDS).json()["results"]] == ids[::-1]
    assert [h["id"] for h in api.get(HOLDS, {"role": "payer", "status": "active"}).json()["results"]] == \
        ids[:0:-1]
    assert client_for(shop).get(HOLDS, {"role": "payer"}).json()["results"] == []
    assert len(client_for(shop).get(HOLDS, {"role": "payee"}).json()["results"]) == 3
    bad = api.get(HOLDS, {"role": "owner"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_filter")
    unknown = api.get(HOLDS, {"sort": "amount"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_filter")


def test_an_idempotency_key_replays_a_hold_instead_of_holding_twice(payer, shop, client_for):
    api = client_for(payer)
    body = {"payee_id": shop.pk, "amount": "10.00"}
    first = api.post(HOLDS, body, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    again = api.post(HOLDS, body, format="json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Hold.objects.count() == 1 and wallet(api)["held"] == "10.00"


def test_the_database_refuses_a_wallet_holding_more_than_its_balance(payer):
    from django.db import IntegrityError, connection, transaction

    with pytest.raises(IntegrityError, match="wallet_held_within_balance"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE wallets_wallet SET held = balance + 0.01 WHERE user_id = %s", [payer.pk])
    assert Wallet.objects.get(user=payer).held == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_statements_per_hold_capture_and_void(payer, shop, client_for):
    """Without a key, and no party with a webhook endpoint (their events cost no statement): a hold
    4 statements (lock, held, insert, the parties' names); a capture 6 (the hold, lock, the hold
    again under the lock, balances, the movement, the hold's end); a void 5 (the same without the
    movement)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(call):
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        assert response.status_code in (200, 201), response.json()
        return [q["sql"][:60] for q in ctx.captured_queries
                if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]

    api, payee = client_for(payer), client_for(shop)
    created = statements(lambda: hold(api, shop, "10.00"))
    hold_id = Hold.objects.get().pk
    captured = statements(lambda: capture(payee, hold_id, amount="5.00"))
    second = hold(api, shop, "10.00").json()["id"]
    voided = statements(lambda: void(api, second))
    assert (len(created), len(captured), len(voided)) == (4, 6, 5), (created, captured, voided)


@pytest.fixture
def hold_endpoints(payer, shop, client_for, settings):
    """Both parties registered an endpoint wanting every hold event (deliveries are not sent here)."""
    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE = True
    types = ["hold.created", "hold.captured", "hold.voided", "hold.expired", "transfer.received"]
    for user in (payer, shop):
        response = client_for(user).post("/api/webhooks/", {"url": "http://127.0.0.1:9/hooks",
                                                            "events": types}, format="json")
        assert response.status_code == 201, response.json()


def events_of(client, type_) -> list[dict]:
    return client.get("/api/events/", {"type": type_}).json()["results"]


def test_each_step_of_a_hold_tells_both_parties(payer, shop, client_for, hold_endpoints):
    api, payee = client_for(payer), client_for(shop)
    captured_id = hold(api, shop, "30.00").json()["id"]
    voided_id = hold(api, shop, "10.00").json()["id"]
    expiring_id = hold(api, shop, "5.00").json()["id"]
    capture(payee, captured_id, amount="20.00")
    void(payee, voided_id)
    Hold.objects.filter(pk=expiring_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    holds_expire()
    for client in (api, payee):
        created = events_of(client, "hold.created")
        assert sorted(e["data"]["id"] for e in created) == sorted([captured_id, voided_id, expiring_id])
        assert {e["data"]["status"] for e in created} == {"active"}
        [done] = events_of(client, "hold.captured")
        assert (done["data"]["id"], done["data"]["status"], done["data"]["captured_amount"]) == (
            captured_id, "captured", "20.00")
        assert [e["data"]["id"] for e in events_of(client, "hold.voided")] == [voided_id]
        assert [e["data"]["id"] for e in events_of(client, "hold.expired")] == [expiring_id]
    [received] = events_of(payee, "transfer.received")  # the capture is a transfer
    assert received["data"]["amount"] == "20.00"


def test_a_hold_released_by_a_transfer_tells_its_parties_it_expired(payer, shop, client_for, hold_endpoints):
    api = client_for(payer)
    hold_id = hold(api, shop, "50.00").json()["id"]
    Hold.objects.filter(pk=hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.post("/api/wallet/transfer/", {"receiver_id": shop.pk, "amount": "90.00"},
                    format="json").status_code == 201
    assert [e["data"]["status"] for e in events_of(client_for(shop), "hold.expired")] == ["expired"]
