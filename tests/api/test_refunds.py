"""Refunds (by a transfer's receiver) and reversals (by staff): new movements linked to their original."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.transactions.ledger import ledger_verify, movement_record
from apps.transactions.models import LedgerEntry, SystemAccount, Transaction
from apps.wallets.holds import hold_create
from apps.wallets.selectors import wallet_balances
from apps.wallets.services import deposit_create, transfer_create
from tests.support.factories import backdate, balance_of

pytestmark = pytest.mark.django_db


def refund_url(txn_id: int) -> str:
    return f"/api/transactions/{txn_id}/refund/"


def reverse_url(txn_id: int) -> str:
    return f"/api/transactions/{txn_id}/reverse/"


@pytest.fixture
def paid(alice, bob):
    """alice paid bob 30.00 (bob held nothing before)."""
    return transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.00")).transaction


@pytest.fixture
def staff(make_user):
    return make_user(username="support", is_staff=True)


def history_item(client, txn_id: int) -> dict:
    response = client.get(f"/api/transactions/{txn_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_full_refund_gives_the_money_back_to_the_sender_and_links_both_ways(alice, bob, paid, client_for):
    response = client_for(bob).post(refund_url(paid.pk), {"description": "Event cancelled"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["balance"] == "0.00"
    refund = body["transaction"]
    assert refund == {**refund, "kind": "refund", "sender_id": bob.pk, "receiver_id": alice.pk,
                      "amount": "30.00", "description": "Event cancelled", "original_id": paid.pk}
    assert (balance_of(alice), balance_of(bob)) == (Decimal("100.00"), Decimal("0.00"))
    for client in (client_for(alice), client_for(bob)):
        original = history_item(client, paid.pk)
        assert (original["original_id"], original["returned_amount"], original["returned_by"]) == (
            None, "30.00", [refund["id"]])
        linked = history_item(client, refund["id"])
        assert (linked["kind"], linked["original_id"], linked["returned_amount"], linked["returned_by"]) == (
            "refund", paid.pk, "0.00", [])
    assert history_item(client_for(alice), refund["id"])["direction"] == "received"
    assert ledger_verify(balances=wallet_balances()).ok


def test_partial_refunds_stop_at_the_original_amount(alice, bob, paid, client_for):
    as_bob = client_for(bob)
    first = as_bob.post(refund_url(paid.pk), {"amount": "10.00"}, format="json")
    second = as_bob.post(refund_url(paid.pk), {"amount": "10.00"}, format="json")
    third = as_bob.post(refund_url(paid.pk), {"amount": "15.00"}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert third.status_code == 409
    assert third.json() == {"code": "amount_exceeds_remaining",
                            "message": "At most 10.00 remains to be given back of this transaction.",
                            "details": {"remaining": "10.00"}}
    rest = as_bob.post(refund_url(paid.pk), {}, format="json")
    assert rest.status_code == 201 and rest.json()["transaction"]["amount"] == "10.00"
    again = as_bob.post(refund_url(paid.pk), {"amount": "0.01"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_fully_returned")
    original = history_item(client_for(alice), paid.pk)
    assert original["returned_amount"] == "30.00"
    assert original["returned_by"] == sorted(r.json()["transaction"]["id"] for r in (first, second, rest))
    assert (balance_of(alice), balance_of(bob)) == (Decimal("100.00"), Decimal("0.00"))


def test_ten_plus_ten_plus_fifteen_of_thirty_refuses_the_third_and_five_remains(alice, bob, paid, client_for):
    as_bob = client_for(bob)
    assert as_bob.post(refund_url(paid.pk), {"amount": "10.00"}, format="json").status_code == 201
    assert as_bob.post(refund_url(paid.pk), {"amount": "10.00"}, format="json").status_code == 201
    deposit_create(user_id=bob.pk, amount=Decimal("50.00"))  # money is not what limits the third
    third = as_bob.post(refund_url(paid.pk), {"amount": "15.00"}, format="json")
    assert (third.status_code, third.json()["details"]) == (409, {"remaining": "10.00"})
    assert as_bob.post(refund_url(paid.pk), {"amount": "5.00"}, format="json").status_code == 201
    assert history_item(as_bob, paid.pk)["returned_amount"] == "25.00"


def test_a_receiver_who_spent_the_money_cannot_refund_and_nothing_changes(alice, bob, paid, make_user,
                                                                          client_for):
    shop = make_user(username="shop")
    transfer_create(sender_id=bob.pk, receiver_id=shop.pk, amount=Decimal("25.00"))
    response = client_for(bob).post(refund_url(paid.pk), {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert (balance_of(alice), balance_of(bob)) == (Decimal("70.00"), Decimal("5.00"))
    assert not Transaction.objects.filter(original=paid).exists()
    assert client_for(bob).post(refund_url(paid.pk), {"amount": "5.00"}, format="json").status_code == 201


def test_held_money_is_not_available_for_a_refund(alice, bob, paid, client_for):
    hold_create(payer_id=bob.pk, payee_id=alice.pk, amount=Decimal("25.00"), expires_in=3600)
    response = client_for(bob).post(refund_url(paid.pk), {"amount": "10.00"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "insufficient_funds")


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_only_the_receiver_may_refund(alice, bob, paid, make_user, client_for, who):
    caller = alice if who == "alice" else make_user(username="carol", balance="50.00")
    response = client_for(caller).post(refund_url(paid.pk), {}, format="json")
    if who == "alice":  # the sender: told why
        assert (response.status_code, response.json()["code"]) == (409, "not_refundable")
        assert response.json()["message"] == "Only the receiver of a transfer can refund it."
    else:  # a stranger: as if it did not exist
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert balance_of(bob) == Decimal("30.00")


def test_a_deposit_a_refund_and_an_old_transfer_are_not_refundable(alice, bob, paid, client_for, settings):
    as_bob, as_alice = client_for(bob), client_for(alice)
    deposit = deposit_create(user_id=bob.pk, amount=Decimal("5.00")).transaction
    refused = as_bob.post(refund_url(deposit.pk), {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_refundable")
    assert "Only a transfer can be refunded" in refused.json()["message"]

    refund = as_bob.post(refund_url(paid.pk), {"amount": "1.00"}, format="json").json()["transaction"]
    refused = as_alice.post(refund_url(refund["id"]), {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_refundable")

    backdate(paid.pk, timezone.now() - timedelta(days=settings.REFUND_WINDOW_DAYS, minutes=1))
    refused = as_bob.post(refund_url(paid.pk), {"amount": "1.00"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_refundable")
    assert refused.json()["details"] == {"refund_window_days": settings.REFUND_WINDOW_DAYS}


def test_staff_reverse_a_transfer_of_any_age(alice, bob, paid, staff, client_for, settings):
    backdate(paid.pk, timezone.now() - timedelta(days=settings.REFUND_WINDOW_DAYS + 30))
    response = client_for(staff).post(reverse_url(paid.pk), {"amount": "12.00", "reason": "Wrong person"},
                                      format="json")
    assert response.status_code == 201, response.content
    reversal = response.json()["transaction"]
    assert reversal == {**reversal, "kind": "reversal", "sender_id": bob.pk, "receiver_id": alice.pk,
                        "amount": "12.00", "description": "Wrong person", "original_id": paid.pk}
    assert (balance_of(alice), balance_of(bob)) == (Decimal("82.00"), Decimal("18.00"))
    assert history_item(client_for(bob), paid.pk)["returned_by"] == [reversal["id"]]
    refused = client_for(staff).post(reverse_url(reversal["id"]), {"reason": "Undo"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_refundable")


def test_a_deposit_reversed_by_staff_goes_back_to_world(bob, staff, client_for):
    deposit = deposit_create(user_id=bob.pk, amount=Decimal("40.00")).transaction
    world_before = SystemAccount.objects.get(code="world").balance
    response = client_for(staff).post(reverse_url(deposit.pk), {"reason": "Card payment charged back"},
                                      format="json")

    assert response.status_code == 201, response.content
    reversal = response.json()["transaction"]
    assert (reversal["sender_id"], reversal["receiver_id"], reversal["amount"]) == (bob.pk, None, "40.00")
    assert balance_of(bob) == Decimal("0.00")
    assert SystemAccount.objects.get(code="world").balance == world_before + Decimal("40.00")
    entries = {(e.user_id, e.system_account_id is not None, e.direction, e.amount)
               for e in LedgerEntry.objects.filter(transaction_id=reversal["id"])}
    assert entries == {(bob.pk, False, "sent", Decimal("-40.00")), (None, True, "received", Decimal("40.00"))}
    item = history_item(client_for(bob), reversal["id"])
    assert (item["kind"], item["direction"], item["receiver"], item["original_id"]) == (
        "reversal", "sent", None, deposit.pk)
    assert history_item(client_for(bob), deposit.pk)["returned_amount"] == "40.00"
    assert ledger_verify(balances=wallet_balances()).ok


def test_reverse_is_staff_only_and_needs_a_reason(alice, bob, paid, staff, client_for):
    refused = client_for(bob).post(reverse_url(paid.pk), {"reason": "Mine"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    for body in ({}, {"reason": ""}, {"reason": "x" * 141}):
        refused = client_for(staff).post(reverse_url(paid.pk), body, format="json")
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_input"), body
        assert list(refused.json()["details"]) == ["reason"]
    assert balance_of(bob) == Decimal("30.00")


def test_an_idempotency_key_refunds_once(alice, bob, paid, client_for):
    as_bob = client_for(bob)
    first = as_bob.post(refund_url(paid.pk), {"amount": "3.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = as_bob.post(refund_url(paid.pk), {"amount": "3.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(original=paid).count() == 1
    other = as_bob.post(refund_url(paid.pk), {"amount": "4.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


def test_the_export_names_the_original(alice, bob, paid, client_for):
    refund = client_for(bob).post(refund_url(paid.pk), {"amount": "2.00"}, format="json").json()
    rows = list(csv.DictReader(io.StringIO(b"".join(
        client_for(alice).get("/api/transactions/export.csv").streaming_content).decode())))
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[refund["transaction"]["id"]]["original_id"] == str(paid.pk)
    assert by_id[refund["transaction"]["id"]]["kind"] == "refund"
    assert by_id[paid.pk]["original_id"] == ""


def test_the_statement_counts_a_refund_as_money_in_and_out(alice, bob, paid, client_for):
    client_for(bob).post(refund_url(paid.pk), {"amount": "10.00"}, format="json")
    today = timezone.now().date()
    query = {"from": str(today), "to": str(today + timedelta(days=1))}
    statement = client_for(bob).get("/api/transactions/statement/", query).json()
    assert (statement["total_in"], statement["total_out"], statement["closing_balance"]) == (
        "30.00", "10.00", "20.00")


@pytest.mark.parametrize("change", ["more than remains", "wrong way", "refund of a deposit"])
def test_the_database_refuses_a_return_that_breaks_the_rules(alice, bob, paid, change):
    deposit = deposit_create(user_id=bob.pk, amount=Decimal("5.00")).transaction
    original, sender, receiver, amount, kind = paid, bob.pk, alice.pk, Decimal("30.01"), "refund"
    if change == "wrong way":
        sender, receiver, amount = alice.pk, bob.pk, Decimal("1.00")
    elif change == "refund of a deposit":
        original, sender, receiver, amount = deposit, bob.pk, None, Decimal("1.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        movement_record(kind=kind, sender_id=sender, receiver_id=receiver, amount=amount,
                        now=timezone.now(), sender_balance=Decimal("0"), receiver_balance=Decimal("0"),
                        original_id=original.pk)
    assert not Transaction.objects.filter(original__isnull=False).exists()
