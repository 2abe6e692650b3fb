"""The ledger's one owner: how a movement is written, and how the books are checked.

``movement_record`` writes a movement's rows: the ``Transaction``, one
``LedgerEntry`` per party and the owed ``Receipt``, in one plain SQL statement
(data-modifying CTEs). A transfer is the hottest write path; the same
rows through ``objects.create`` and ``bulk_create`` cost 0.52 and 0.57 ms more
CPU per movement in two runs of ``bench/movement_sql.py`` (median of 5 x 1,000
movements in one process, on PostgreSQL), so the statements are written once
here. They run only inside a movement's transaction, after
its wallets are locked (``apps.wallets.services``).

``ledger_verify`` checks the books: every check is an aggregate or window
query, never a query per wallet; that includes each user's running balance
(every entry's ``balance_after`` is the previous one plus or minus its
amount, and the last one is the wallet's balance). ``numeric`` sums are exact, so
every comparison is. The wallets' balances are passed in by their owner,
``apps.wallets``.
"""
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Lag, Lead

from apps.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS, ZERO
from apps.core.request_context import current_request_id
from apps.receipts.models import Receipt
from apps.transactions.models import LedgerEntry, Transaction

# --- Writing a movement -----------------------------------------------------------


def quote_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _names(model, *fields: str) -> list[str]:
    quote = connection.ops.quote_name
    return [quote(model._meta.db_table)] + [quote(model._meta.get_field(f).column) for f in fields]


@cache
def _transaction_sql() -> str:
    table, pk, kind, sender, receiver, amount, created_at, description, request_id = _names(
        Transaction, "id", "kind", "sender", "receiver", "amount", "created_at", "description", "request_id")
    return (f"INSERT INTO {table} ({kind}, {sender}, {receiver}, {amount}, {created_at}, {description}, "
            f"{request_id}) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {pk}, {created_at}")


def _entries_columns() -> str:
    _, txn, user, direction, counterparty, balance_after, created_at = _names(
        LedgerEntry, "transaction", "user", "direction", "counterparty", "balance_after", "created_at")
    return f"{txn}, {user}, {direction}, {counterparty}, {balance_after}, {created_at}"


def _receipt_columns() -> str:
    return ", ".join(_names(Receipt, "transaction", "status", "pdf_path", "txt_path", "attempts",
                            "last_error", "due_at", "updated_at")[1:])


@cache
def _entries_sql(entries: int) -> str:
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * entries)
    return f"INSERT INTO {quote_table(LedgerEntry)} ({_entries_columns()}) VALUES {rows}"


@cache
def _receipt_owed_sql() -> str:
    return (f"INSERT INTO {quote_table(Receipt)} ({_receipt_columns()}) "
            f"VALUES (%s, %s, '', '', 0, '', %s, %s)")


@cache
def _movement_sql(entries: int) -> str:
    """The three inserts as one statement (data-modifying CTEs), one round trip instead of three.

    Kept for the statement count (3 per transfer instead of 5, fewer than
    before the outbox added its row) and the round trips a network adds; in
    one process on the same host ``bench/movement_sql.py`` measured no CPU
    difference (+0.00 and +0.04 ms for three statements) and wall time
    within noise (-0.12 and +0.11 ms).
    """
    rows = ", ".join(["(%s::bigint, %s, %s::bigint, %s::numeric)"] * entries)
    return (f"WITH t AS ({_transaction_sql()}), "
            f"e AS (INSERT INTO {quote_table(LedgerEntry)} ({_entries_columns()}) "
            f"SELECT t.id, v.usr, v.dir, v.other, v.bal, t.created_at "
            f"FROM t, (VALUES {rows}) AS v (usr, dir, other, bal)), "
            f"r AS (INSERT INTO {quote_table(Receipt)} ({_receipt_columns()}) "
            f"SELECT t.id, %s, '', '', 0, '', %s, %s FROM t) "
            f"SELECT t.id FROM t")


_TRANSACTION_FIELDS = ("id", "kind", "sender_id", "receiver_id", "amount", "created_at", "description",
                       "request_id")


def movement_record(*, kind: str, sender_id: int | None, receiver_id: int, amount: Decimal,
                    now: dt.datetime, receiver_balance: Decimal,
                    sender_balance: Decimal | None = None, description: str = "") -> Transaction:
    """Insert the transaction, one ledger entry per party and its owed receipt; return the row as saved.

    ``receiver_balance`` and ``sender_balance`` are the wallets' balances
    after the movement, known to the caller under the wallet lock: each
    entry stores its owner's (``balance_after``), no query needed, and the
    transaction's time (``created_at``, which the statement's index reads).

    The receipt row is the outbox: written in the movement's transaction, it
    is the only trace of the receipt on the money path (no broker I/O); the
    relay renders it after the commit (``apps.receipts.services.receipts_claim``).
    The three inserts are one statement.
    """
    at = connection.ops.adapt_datetimefield_value(now)
    parties = [(receiver_id, LedgerEntry.Direction.RECEIVED.value, sender_id, receiver_balance)]
    if sender_id is not None:
        parties.append((sender_id, LedgerEntry.Direction.SENT.value, receiver_id, sender_balance))
    request_id = current_request_id()  # the request being served, if any: logs and admin show it
    row = [str(kind), sender_id, receiver_id, amount, at, description, request_id]
    owed = [Receipt.Status.PENDING.value, at, at]
    with connection.cursor() as cursor:
        cursor.execute(_movement_sql(len(parties)),
                       [*row, *(value for party in parties for value in party), *owed])
        txn_id = cursor.fetchone()[0]
    return Transaction.from_db(connection.alias, _TRANSACTION_FIELDS,
                               (txn_id, kind, sender_id, receiver_id, amount, now, description, request_id))


# --- Checking the books -----------------------------------------------------------

@dataclass
class LedgerReport:
    wallets: int = 0
    transactions: int = 0
    total_balance: Decimal = ZERO
    total_deposits: Decimal = ZERO
    discrepancies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies


def _running_balances():
    """Each entry against the one before it (same user, transaction order), in one window query.

    Yields the entries whose ``balance_after`` is not the previous one plus or
    minus their amount, and every user's last entry (to compare with the
    wallet).
    """
    money = DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    chain = {"partition_by": [F("user_id")], "order_by": F("transaction_id").asc()}
    signed = Case(When(direction=LedgerEntry.Direction.SENT, then=-F("transaction__amount")),
                  default=F("transaction__amount"), output_field=money)
    return (
        LedgerEntry.objects.order_by()
        .annotate(previous=Window(Lag("balance_after"), **chain),
                  next_transaction=Window(Lead("transaction_id"), **chain))
        .annotate(expected=Coalesce(F("previous"), Value(ZERO), output_field=money) + signed)
        .filter(~Q(balance_after=F("expected")) | Q(next_transaction__isnull=True))
        .values_list("user_id", "transaction_id", "balance_after", "expected", "next_transaction")
    )


def _running_balances_check() -> tuple[list[str], dict[int, Decimal]]:
    """The running-balance chain breaks, and each user's last ``balance_after``."""
    breaks, last = [], {}
    for user_id, txn_id, balance_after, expected, next_transaction in _running_balances():
        if balance_after != expected:
            breaks.append(f"user {user_id}, transaction {txn_id}: balance_after {balance_after} != "
                          f"previous balance_after plus or minus the amount = {expected}")
        if next_transaction is None:
            last[user_id] = balance_after
    return breaks, last


def ledger_verify(*, balances: Iterable[tuple[int, int, Decimal]]) -> LedgerReport:
    """Check every invariant of the books; each failure becomes one line in ``discrepancies``.

    ``balances`` yields ``(wallet_id, user_id, balance)`` for every wallet.
    """
    report = LedgerReport()
    expected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in Transaction.objects.order_by().values("receiver_id").annotate(total=Sum("amount")):
        expected[row["receiver_id"]] += row["total"]
    sent = (Transaction.objects.order_by().filter(sender__isnull=False)
            .values("sender_id").annotate(total=Sum("amount")))
    for row in sent:
        expected[row["sender_id"]] -= row["total"]

    chain_breaks, last_balances = _running_balances_check()
    report.discrepancies.extend(chain_breaks)

    wallet_users = set()
    for wallet_id, user_id, balance in balances:
        report.wallets += 1
        report.total_balance += balance
        wallet_users.add(user_id)
        should_be = expected.get(user_id, ZERO)
        if balance != should_be:
            report.discrepancies.append(
                f"wallet {wallet_id} (user {user_id}): balance {balance} != deposits + received - sent "
                f"= {should_be} (off by {balance - should_be})"
            )
        if balance < 0:
            report.discrepancies.append(f"wallet {wallet_id} (user {user_id}): negative balance {balance}")
        last = last_balances.get(user_id, ZERO)
        if balance != last:
            report.discrepancies.append(
                f"wallet {wallet_id} (user {user_id}): balance {balance} != its last entry's "
                f"balance_after {last}"
            )
    for user_id in sorted(set(expected) - wallet_users):
        report.discrepancies.append(f"user {user_id}: has transactions but no wallet")

    totals = Transaction.objects.aggregate(
        count=Count("pk"), deposits=Sum("amount", filter=Q(kind=Transaction.Kind.DEPOSIT)),
    )
    report.transactions = totals["count"]
    report.total_deposits = totals["deposits"] or ZERO
    if report.total_balance != report.total_deposits:
        report.discrepancies.append(
            f"sum of balances {report.total_balance} != sum of deposits {report.total_deposits} "
            f"(off by {report.total_balance - report.total_deposits})"
        )

    # Each transfer has two ledger entries (sent, received), each deposit one (received).
    entries = Transaction.objects.order_by().annotate(
        n=Count("entries"),
        n_sent=Count("entries", filter=Q(entries__direction=LedgerEntry.Direction.SENT)),
    )
    broken = entries.filter(
        (Q(kind=Transaction.Kind.TRANSFER) & ~(Q(n=2) & Q(n_sent=1)))
        | (Q(kind=Transaction.Kind.DEPOSIT) & ~(Q(n=1) & Q(n_sent=0)))
    ).values_list("pk", "kind", "n")
    for txn_id, kind, n in broken:
        report.discrepancies.append(f"transaction {txn_id} ({kind}): {n} ledger entries do not match it")
    return report
