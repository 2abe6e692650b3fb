"""python manage.py verify_ledger: the books must balance."""
from decimal import Decimal
from importlib import import_module

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
    # Each wallet disagrees with its transactions and with its last running balance.
    assert len(report.discrepancies) == 4
    assert sum("off by" in line for line in report.discrepancies) == 2
    assert sum("its last entry's balance_after" in line for line in report.discrepancies) == 2


def test_missing_ledger_entry_is_reported(books):
    alice, *_ = books
    entry = LedgerEntry.objects.filter(user=alice, direction="sent").first()
    LedgerEntry.objects.filter(pk=entry.pk).delete()
    report = ledger_verify()
    # Alice's next entry no longer follows from the one before it, and the transaction is one-sided.
    next_entry = LedgerEntry.objects.filter(user=alice, transaction_id__gt=entry.transaction_id).first()
    assert report.discrepancies == [
        f"user {alice.pk}, transaction {next_entry.transaction_id}: balance_after 69.79 != "
        "previous balance_after plus or minus the amount = 99.99",
        f"transaction {entry.transaction_id} (transfer): 1 ledger entries do not match it",
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
    with django_assert_max_num_queries(6):
        assert ledger_verify().ok


def test_a_tampered_running_balance_breaks_the_chain(books):
    _, bob, _ = books
    entry = LedgerEntry.objects.filter(user=bob).order_by("transaction_id")[1]  # alice -> bob, 30.20
    LedgerEntry.objects.filter(pk=entry.pk).update(balance_after=Decimal("30.29"))
    report = ledger_verify()
    # That entry no longer follows from the one before it, nor the next one from it.
    assert report.discrepancies == [
        f"user {bob.pk}, transaction {entry.transaction_id}: balance_after 30.29 != "
        "previous balance_after plus or minus the amount = 30.30",
        f"user {bob.pk}, transaction {entry.transaction_id + 1}: balance_after 30.00 != "
        "previous balance_after plus or minus the amount = 29.99",
    ]


def test_a_last_entry_that_disagrees_with_the_wallet_is_reported(books):
    alice, *_ = books
    last = LedgerEntry.objects.filter(user=alice).order_by("-transaction_id").first()
    LedgerEntry.objects.filter(pk=last.pk).update(balance_after=Decimal("70.00"))
    wallet_id = Wallet.objects.get(user=alice).pk
    report = ledger_verify()
    assert f"wallet {wallet_id} (user {alice.pk}): balance 69.79 != its last entry's balance_after 70.00" \
        in report.discrepancies


def test_the_migration_backfills_every_running_balance(books):
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    backfill = import_module("apps.transactions.migrations.0005_ledgerentry_balance_after")
    expected = dict(LedgerEntry.objects.values_list("pk", "balance_after"))
    LedgerEntry.objects.update(balance_after=Decimal("0.00"))
    assert not ledger_verify().ok

    backfill.running_balances_backfill(apps, SimpleNamespace(connection=connection))

    assert dict(LedgerEntry.objects.values_list("pk", "balance_after")) == expected
    assert ledger_verify().ok
