"""Django admin: wallets and the transaction log can be browsed, never edited."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.transactions.models import Transaction
from apps.wallets.models import Wallet
from apps.wallets.services import transfer_create
from tests.support.factories import balance_of

pytestmark = pytest.mark.django_db
WALLETS = "/admin/wallets/wallet/"
TRANSACTIONS = "/admin/transactions/transaction/"


@pytest.fixture
def ledger(make_user):
    alice = make_user(username="alice", balance="100.00")
    bob = make_user(username="bob", balance="5.00")
    carol = make_user(username="carol")
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00"))
    transfer_create(sender_id=bob.pk, receiver_id=carol.pk, amount=Decimal("1.00"))
    return alice, bob, carol


def _listed(response, model) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list if isinstance(obj, model)}


def test_changelists_load_and_search_by_username(admin_client, ledger):
    alice, bob, carol = ledger
    response = admin_client.get(WALLETS)
    assert response.status_code == 200
    assert _listed(response, Wallet) >= {alice.wallet.pk, bob.wallet.pk, carol.wallet.pk}

    response = admin_client.get(WALLETS, {"q": "ali"})
    assert _listed(response, Wallet) == {alice.wallet.pk}

    response = admin_client.get(TRANSACTIONS)
    assert response.status_code == 200
    assert len(_listed(response, Transaction)) == Transaction.objects.count() == 4

    response = admin_client.get(TRANSACTIONS, {"q": "carol"})
    assert {(t.sender.username, t.receiver.username) for t in response.context["cl"].result_list} == {
        ("bob", "carol")}
    response = admin_client.get(TRANSACTIONS, {"q": "BOB"})
    assert len(_listed(response, Transaction)) == 3  # bob's deposit and both transfers


def test_transaction_filters_by_kind_and_date(admin_client, ledger):
    response = admin_client.get(TRANSACTIONS, {"kind__exact": "deposit"})
    assert response.status_code == 200
    assert {t.kind for t in response.context["cl"].result_list} == {"deposit"}
    assert len(response.context["cl"].result_list) == 2

    today = timezone.now().date()
    for day, expected in ((today, 4), (today - timedelta(days=1), 0)):
        response = admin_client.get(TRANSACTIONS, {
            "created_at__gte": f"{day} 00:00:00+00:00",
            "created_at__lt": f"{day + timedelta(days=1)} 00:00:00+00:00",
        })
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected


@pytest.mark.parametrize("url", [WALLETS, TRANSACTIONS])
def test_changelist_queries_do_not_grow_with_rows(admin_client, make_user, url):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = make_user(balance="50.00")
    second = make_user()
    transfer_create(sender_id=first.pk, receiver_id=second.pk, amount=Decimal("1.00"))
    few = count_queries()
    for _ in range(10):
        user = make_user(balance="3.00")
        transfer_create(sender_id=user.pk, receiver_id=second.pk, amount=Decimal("1.00"))
    assert count_queries() == few


def test_transactions_cannot_be_added_changed_or_deleted(admin_client, ledger):
    alice, bob, _ = ledger
    txn = Transaction.objects.filter(kind="transfer").first()
    before = list(Transaction.objects.order_by("pk").values())
    change = f"{TRANSACTIONS}{txn.pk}/change/"

    assert admin_client.get(change).status_code == 200  # viewable, read-only
    assert admin_client.post(change, {"kind": "deposit", "amount": "999.00"}).status_code == 403
    assert admin_client.get(f"{TRANSACTIONS}{txn.pk}/delete/").status_code == 403
    assert admin_client.post(f"{TRANSACTIONS}{txn.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{TRANSACTIONS}add/").status_code == 403
    admin_client.post(TRANSACTIONS, {"action": "delete_selected", "_selected_action": [txn.pk],
                                     "post": "yes"})

    assert list(Transaction.objects.order_by("pk").values()) == before
    assert balance_of(alice) == Decimal("90.00")
    assert balance_of(bob) == Decimal("14.00")


def test_wallet_balance_cannot_be_edited(admin_client, ledger):
    alice = ledger[0]
    wallet = alice.wallet
    change = f"{WALLETS}{wallet.pk}/change/"

    response = admin_client.get(change)
    assert response.status_code == 200
    assert b'name="balance"' not in response.content  # shown, not an input
    assert admin_client.post(change, {"balance": "1000000.00", "user": alice.pk}).status_code == 403
    assert admin_client.post(f"{WALLETS}{wallet.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"{WALLETS}add/").status_code == 403
    assert balance_of(alice) == Decimal("90.00")
    assert Wallet.objects.filter(pk=wallet.pk).exists()


def test_system_accounts_are_listed_read_only(admin_client, ledger):
    response = admin_client.get("/admin/transactions/systemaccount/")
    assert response.status_code == 200
    [world] = response.context["cl"].result_list
    assert (world.code, world.balance) == ("world", Decimal("-105.00"))
    assert admin_client.post(f"/admin/transactions/systemaccount/{world.pk}/change/",
                             {"balance": "0.00"}).status_code == 403
    assert admin_client.get("/admin/transactions/systemaccount/add/").status_code == 403


def test_staff_reverse_a_transfer_from_the_admin_with_a_reason(admin_client, ledger):
    alice, bob, _ = ledger
    txn = Transaction.objects.get(kind="transfer", sender=alice)
    asked = admin_client.post(TRANSACTIONS, {"action": "reverse_transactions", "_selected_action": [txn.pk]})
    assert asked.status_code == 200 and b"Reason" in asked.content  # the reason is asked for first
    assert balance_of(alice) == Decimal("90.00")

    done = admin_client.post(TRANSACTIONS, {"action": "reverse_transactions", "_selected_action": [txn.pk],
                                            "apply": "Reverse", "reason": "Sent to the wrong person"},
                             follow=True)
    assert done.status_code == 200
    reversal = Transaction.objects.get(kind="reversal")
    assert (reversal.original_id, reversal.amount, reversal.description) == (
        txn.pk, Decimal("10.00"), "Sent to the wrong person")
    assert (balance_of(alice), balance_of(bob)) == (Decimal("100.00"), Decimal("4.00"))
    assert f"reversed by transaction {reversal.pk}".encode() in done.content

    again = admin_client.post(TRANSACTIONS, {"action": "reverse_transactions", "_selected_action": [txn.pk],
                                             "apply": "Reverse", "reason": "Twice"}, follow=True)
    assert b"was not reversed" in again.content
    assert Transaction.objects.filter(kind="reversal").count() == 1
