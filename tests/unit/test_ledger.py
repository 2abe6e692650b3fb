"""The books: what the database refuses, and what python manage.py verify_ledger reports."""
import logging
from decimal import Decimal
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from apps.transactions.ledger import ledger_verify as ledger_verify_of
from apps.transactions.models import LedgerEntry, SystemAccount, Transaction
from apps.wallets.balance_sql import balances_apply
from apps.wallets.models import Wallet
from apps.wallets.selectors import ledger_check, wallet_balances
from apps.wallets.services import deposit_create, transfer_create
from apps.wallets.tasks import ledger_verify as ledger_verify_task
from tests.support.factories import balance_of
from tests.support.ledger import ledger_maintenance

pytestmark = pytest.mark.django_db


def ledger_verify():
    return ledger_verify_of(balances=wallet_balances())


def world() -> SystemAccount:
    return SystemAccount.objects.get(code="world")


@pytest.fixture
def books(make_user, alice):
    bob = make_user(username="bob", balance="0.10")
    carol = make_user(username="carol")
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.20"))
    transfer_create(sender_id=bob.pk, receiver_id=carol.pk, amount=Decimal("0.30"))
    transfer_create(sender_id=alice.pk, receiver_id=carol.pk, amount=Decimal("0.01"))
    return alice, bob, carol


def entries_state() -> tuple:
    return (sorted(Wallet.objects.values_list("user_id", "balance")), Transaction.objects.count(),
            sorted(LedgerEntry.objects.values_list("pk", "amount", "balance_after")))


# --- What the books hold ---------------------------------------------------------------

def test_world_is_minus_every_deposit_and_the_grand_total_is_zero(books):
    assert world().balance == Decimal("-100.10")
    report = ledger_verify()
    assert (report.total_balance, report.system_balance, report.grand_total) == (
        Decimal("100.10"), Decimal("-100.10"), 0)
    amounts = LedgerEntry.objects.values_list("transaction_id", "amount")
    per_transaction = {}
    for txn_id, amount in amounts:
        per_transaction[txn_id] = per_transaction.get(txn_id, 0) + amount
    assert len(per_transaction) == 5 and set(per_transaction.values()) == {0}


def test_clean_ledger_passes(books, capsys):
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "Checked 3 wallets, 1 system accounts and 5 transactions" in out
    assert "wallets total 100.10, system accounts total -100.10" in out
    assert "Ledger OK" in out


def test_empty_database_is_ok():
    report = ledger_verify()
    assert report.ok
    assert (report.wallets, report.transactions) == (0, 0)


def test_verification_is_a_fixed_number_of_queries(books, django_assert_max_num_queries, make_user):
    for _ in range(5):
        make_user(balance="1.00")
    # System accounts, legs, returns within their originals, running balances, wallets, count.
    with django_assert_max_num_queries(6):
        assert ledger_verify().ok


# --- What the database refuses ----------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "UPDATE transactions_ledgerentry SET balance_after = balance_after + 1",
    "UPDATE transactions_ledgerentry SET created_at = created_at - interval '1 day'",
    "DELETE FROM transactions_ledgerentry",
    "UPDATE transactions_transaction SET amount = amount + 1",
    "UPDATE transactions_transaction SET description = 'edited'",
    "DELETE FROM transactions_transaction",
])
def test_history_cannot_be_edited_in_raw_sql(books, sql):
    before = entries_state()
    with pytest.raises(IntegrityError, match="ledger rows are immutable"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(sql)
    assert entries_state() == before


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_movement_fails_at_commit_and_changes_nothing(make_user):
    alice, bob = make_user(balance="50.00"), make_user()
    before = entries_state()
    with pytest.raises(IntegrityError, match=r"does not balance: 1 entries summing to -5\.00"), \
            transaction.atomic(), connection.cursor() as cursor:
        # A buggy movement: the sender is debited, the receiver's leg is never written.
        balances_apply({alice.pk: Decimal("-5.00")}, now=alice.date_joined)
        cursor.execute("INSERT INTO transactions_transaction (kind, sender_id, receiver_id, amount, "
                       "created_at, description) VALUES ('transfer', %s, %s, 5, now(), '') "
                       "RETURNING id", [alice.pk, bob.pk])
        txn_id = cursor.fetchone()[0]
        cursor.execute("INSERT INTO transactions_ledgerentry (transaction_id, user_id, direction, "
                       "counterparty_id, amount, balance_after, created_at) "
                       "VALUES (%s, %s, 'sent', %s, -5, 45, now())", [txn_id, alice.pk, bob.pk])
    assert entries_state() == before
    assert (balance_of(alice), balance_of(bob)) == (Decimal("50.00"), Decimal("0.00"))
    assert ledger_check().ok


@pytest.mark.django_db(transaction=True)
def test_a_transaction_without_entries_fails_at_commit(make_user):
    alice = make_user()
    with pytest.raises(IntegrityError, match="does not balance: 0 entries"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("INSERT INTO transactions_transaction (kind, receiver_id, amount, created_at, "
                       "description) VALUES ('deposit', %s, 5, now(), '')", [alice.pk])
    assert not Transaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_balanced_movements_commit_and_leave_clean_books(make_user):
    alice, bob = make_user(balance="10.00"), make_user()
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("2.50"))
    deposit_create(user_id=bob.pk, amount=Decimal("1.00"))
    report = ledger_check()
    assert report.ok, report.discrepancies
    assert report.grand_total == 0 and report.system_balance == Decimal("-11.00")


def test_only_world_may_go_below_zero():
    with pytest.raises(IntegrityError), transaction.atomic():
        SystemAccount.objects.create(code="fees", balance=Decimal("-0.01"))


# --- What verify_ledger reports (history tampered through the maintenance procedure) ----

def test_tampered_balance_fails_and_names_the_wallet(books, capsys):
    alice, bob, _ = books
    Wallet.objects.filter(user=bob).update(balance=Decimal("1000.00"))
    wallet_id = Wallet.objects.get(user=bob).pk

    with pytest.raises(CommandError, match="discrepancies"):
        call_command("verify_ledger")
    err = capsys.readouterr().err
    assert f"wallet {wallet_id} (user {bob.pk}): balance 1000.00 != its last entry's balance_after " \
           "30.00 (off by 970.00)" in err
    assert "wallets total 1070.10 + system accounts total -100.10 = 970.00, not zero" in err
    assert f"user {alice.pk}" not in err


def test_money_moved_between_wallets_behind_the_ledgers_back(books):
    alice, bob, _ = books
    Wallet.objects.filter(user=alice).update(balance=Decimal("69.78"))  # one cent out...
    Wallet.objects.filter(user=bob).update(balance=Decimal("30.01"))  # ...one cent in: totals still agree
    report = ledger_verify()
    assert not report.ok
    assert len(report.discrepancies) == 2
    assert all("its last entry's balance_after" in line for line in report.discrepancies)


def test_a_missing_ledger_entry_is_reported(books):
    alice, *_ = books
    entry = LedgerEntry.objects.filter(user=alice, direction="sent").order_by("transaction_id").first()
    with ledger_maintenance():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    report = ledger_verify()
    next_entry = LedgerEntry.objects.filter(user=alice, transaction_id__gt=entry.transaction_id).first()
    assert report.discrepancies == [
        f"transaction {entry.transaction_id} (transfer): 1 ledger entries summing to 30.20 do not match it",
        f"user {alice.pk}, transaction {next_entry.transaction_id}: balance_after 69.79 != "
        "previous balance_after plus the amount = 99.99",
    ]


def test_an_entry_whose_transaction_is_missing_is_reported(books):
    txn_id = Transaction.objects.filter(kind="transfer").order_by("pk").first().pk
    with ledger_maintenance(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM transactions_transaction WHERE id = %s", [txn_id])
    assert ledger_verify().discrepancies == [
        f"transaction {txn_id}: 2 ledger entries reference it but it does not exist"]


def test_a_tampered_amount_unbalances_its_transaction(books):
    _, bob, _ = books
    entry = LedgerEntry.objects.filter(user=bob).order_by("transaction_id")[1]  # alice -> bob, 30.20
    with ledger_maintenance():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("30.29"),
                                                       balance_after=Decimal("30.39"))
    report = ledger_verify()
    assert report.discrepancies[0] == (f"transaction {entry.transaction_id} (transfer): 2 ledger entries "
                                       "summing to 0.09 do not match it")


def test_a_tampered_running_balance_breaks_the_chain(books):
    _, bob, _ = books
    entry = LedgerEntry.objects.filter(user=bob).order_by("transaction_id")[1]  # alice -> bob, 30.20
    with ledger_maintenance():
        LedgerEntry.objects.filter(pk=entry.pk).update(balance_after=Decimal("30.29"))
    report = ledger_verify()
    # That entry no longer follows from the one before it, nor the next one from it.
    assert report.discrepancies == [
        f"user {bob.pk}, transaction {entry.transaction_id}: balance_after 30.29 != "
        "previous balance_after plus the amount = 30.30",
        f"user {bob.pk}, transaction {entry.transaction_id + 1}: balance_after 30.00 != "
        "previous balance_after plus the amount = 29.99",
    ]


def test_a_tampered_world_is_reported(books):
    SystemAccount.objects.filter(code="world").update(balance=Decimal("-100.00"))
    report = ledger_verify()
    assert report.discrepancies == [
        "system account world: balance -100.00 != its last entry's balance_after -100.10 (off by 0.10)",
        "wallets total 100.10 + system accounts total -100.00 = 0.10, not zero",
    ]


def test_a_last_entry_that_disagrees_with_the_wallet_is_reported(books):
    alice, *_ = books
    last = LedgerEntry.objects.filter(user=alice).order_by("-transaction_id").first()
    with ledger_maintenance():
        LedgerEntry.objects.filter(pk=last.pk).update(balance_after=Decimal("70.00"))
    wallet_id = Wallet.objects.get(user=alice).pk
    report = ledger_verify()
    assert f"wallet {wallet_id} (user {alice.pk}): balance 69.79 != its last entry's balance_after 70.00 " \
           "(off by -0.21)" in report.discrepancies


def test_the_first_bad_rows_are_listed_and_the_rest_counted(make_user):
    alice = make_user()
    for _ in range(25):
        deposit_create(user_id=alice.pk, amount=Decimal("1.00"))
    with ledger_maintenance():
        LedgerEntry.objects.filter(user=alice).update(amount=Decimal("2.00"))
    lines = ledger_verify().discrepancies
    assert sum("do not match it" in line for line in lines) == 20
    assert "... and 5 more transactions whose entries do not match them" in lines


def test_negative_balance_is_reported_when_the_constraint_is_bypassed(books):
    # The CHECK constraint stops a real negative balance; the report logic still flags one.
    alice, *_ = books
    rows = [(pk, uid, Decimal("-1.00") if uid == alice.pk else bal) for pk, uid, bal in wallet_balances()]
    report = ledger_verify_of(balances=rows)
    assert any("negative balance -1.00" in line for line in report.discrepancies)


# --- The scheduled check ------------------------------------------------------------------

def test_the_scheduled_check_logs_a_discrepancy_as_an_error(books, caplog):
    _, bob, _ = books
    Wallet.objects.filter(user=bob).update(balance=Decimal("1.00"))
    with caplog.at_level(logging.INFO, logger="apps.wallets.tasks"):
        assert ledger_verify_task() is False
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "Ledger verification failed: 2 discrepancies" in record.getMessage()
    assert f"(user {bob.pk}): balance 1.00 != its last entry's balance_after 30.00" in record.getMessage()


def test_the_scheduled_check_of_clean_books_logs_no_error(books, caplog):
    with caplog.at_level(logging.INFO, logger="apps.wallets.tasks"):
        assert ledger_verify_task() is True
    assert [r.levelno for r in caplog.records] == [logging.INFO]


def test_the_check_runs_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ledger-verify"]
    assert entry["task"] == ledger_verify_task.name
    assert (entry["schedule"].minute, entry["schedule"].hour) == ({30}, {3})


# --- The migrations that built the books ------------------------------------------------

def test_the_migration_gives_every_deposit_its_world_leg_and_every_entry_its_sign(books):
    backfill = import_module("apps.transactions.migrations.0010_ledger_accounts_backfill")
    def legs():
        return sorted(LedgerEntry.objects.values_list("transaction_id", "user_id", "system_account_id",
                                                      "amount", "balance_after"), key=str)

    expected = legs()
    with ledger_maintenance():  # back to the books before accounts: no world legs, no signs
        LedgerEntry.objects.filter(system_account__isnull=False).delete()
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE transactions_ledgerentry ALTER COLUMN amount DROP NOT NULL")
        LedgerEntry.objects.update(amount=None)
        SystemAccount.objects.filter(code="world").update(balance=0)
    editor = SimpleNamespace(connection=connection)

    with ledger_maintenance():  # the rules are installed after this migration, by the next one
        backfill.signed_amounts_backfill(apps, editor)
        backfill.world_legs_backfill(apps, editor)
        backfill.world_legs_backfill(apps, editor)  # a second run (a resumed one) adds nothing

    assert legs() == expected
    assert world().balance == Decimal("-100.10")
    assert ledger_verify().ok


def test_the_migration_backfills_every_running_balance(books):
    backfill = import_module("apps.transactions.migrations.0005_ledgerentry_balance_after")
    expected = dict(LedgerEntry.objects.values_list("pk", "balance_after"))
    with ledger_maintenance():
        LedgerEntry.objects.update(balance_after=Decimal("0.00"))
        assert not ledger_verify().ok

        backfill.running_balances_backfill(apps, SimpleNamespace(connection=connection))

    assert dict(LedgerEntry.objects.values_list("pk", "balance_after")) == expected
    assert ledger_verify().ok
