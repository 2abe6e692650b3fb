"""python manage.py verify_ledger: the books must balance."""
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.transactions.ledger import ledger_verify as ledger_verify_of
from apps.transactions.models import LedgerEntry
from apps.wallets.models import Wallet
from apps.wallets.selectors import wallet_balances
from apps.wallets.services import transfer_create

pytestmark = pytest.mark.django_db


def ledger_verify():
    return ledger_verify_of(balances=wallet_balances())


@pytest.fixture
def books(make_user, alice):
    bob = make_user(username="bob", balance="0.10")
    carol = make_user(username="carol")
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.20"))
    transfer_create(sender_id=bob.pk, receiver_id=carol.pk, amount=Decimal("0.30"))
    transfer_create(sender_id=alice.pk, receiver_id=carol.pk, amount=Decimal("0.01"))
    return alice, bob, carol


def test_clean_ledger_passes(books, capsys):
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "Checked 3 wallets and 5 transactions" in out
    assert "balances total 100.10, deposits total 100.10" in out
    assert "Ledger OK" in out


def test_tampered_balance_fails_and_names_the_wallet(books, capsys):
    alice, bob, _ = books
    Wallet.objects.filter(user=bob).update(balance=Decimal("1000.00"))
    wallet_id = Wallet.objects.get(user=bob).pk

    with pytest.raises(CommandError, match="discrepancies"):
        call_command("verify_ledger")
    err = capsys.readouterr().err
    assert f"wallet {wallet_id} (user {bob.pk})" in err
    assert "sum of balances 1070.10 != sum of deposits 100.10" in err
    assert f"user {alice.pk}" not in err


def test_money_moved_between_wallets_behind_the_ledgers_back(books):
    alice, bob, _ = books
    Wallet.objects.filter(user=alice).update(balance=Decimal("69.78"))  # one cent out...
    Wallet.objects.filter(user=bob).update(balance=Decimal("30.01"))  # ...one cent in: totals still agree
    report = ledger_verify()
    assert not report.ok
    assert len(report.discrepancies) == 2
    assert all("balance" in line and "off by" in line for line in report.discrepancies)


def test_missing_ledger_entry_is_reported(books):
    alice, *_ = books
    entry = LedgerEntry.objects.filter(user=alice, direction="sent").first()
    LedgerEntry.objects.filter(pk=entry.pk).delete()
    report = ledger_verify()
    assert report.discrepancies == [
        f"transaction {entry.transaction_id} (transfer): 1 ledger entries do not match it"
    ]


def test_negative_balance_is_reported_when_the_constraint_is_bypassed(books):
    # The CHECK constraint stops a real negative balance; the report logic still flags one.
    alice, *_ = books
    rows = [(pk, uid, Decimal("-1.00") if uid == alice.pk else bal) for pk, uid, bal in wallet_balances()]
    report = ledger_verify_of(balances=rows)
    assert any("negative balance -1.00" in line for line in report.discrepancies)


def test_empty_database_is_ok():
    report = ledger_verify()
    assert report.ok
    assert (report.wallets, report.transactions) == (0, 0)


def test_verification_is_a_fixed_number_of_queries(books, django_assert_max_num_queries, make_user):
    for _ in range(5):
        make_user(balance="1.00")
    with django_assert_max_num_queries(5):
        assert ledger_verify().ok
