"""The ledger's one owner: how a movement is written, and how the books are checked.

``movement_record`` writes a movement's rows: the ``Transaction``, one
``LedgerEntry`` per account it touches (signed amounts that sum to zero) and
the owed ``Receipt``, in one plain SQL statement (data-modifying CTEs). A
deposit's statement also debits the system account ``world`` (its row is
locked by that write, so deposits take turns on it; transfers never touch it).
A transfer is the hottest write path; the same rows through
``objects.create`` and ``bulk_create`` cost 0.52 and 0.57 ms more CPU per
movement in two runs of ``bench/movement_sql.py`` (median of 5 x 1,000
movements in one process, on PostgreSQL), so the statements are written once
here. They run only inside a movement's transaction, after its wallets are
locked (``apps.wallets.services``).

``ledger_verify`` checks the books: every check is an aggregate or window
query, never a query per account; that includes each account's running
balance (every entry's ``balance_after`` is the previous one plus its signed
amount, and the last one is the account's balance). ``numeric`` sums are
exact, so every comparison is. The wallets' balances are passed in by their
owner, ``apps.wallets``.
"""
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.db import connection

from apps.core.money import ZERO
from apps.core.request_context import current_request_id
from apps.core.sql import StatementPart
from apps.receipts.models import Receipt
from apps.transactions.models import LedgerEntry, SystemAccount, Transaction

# --- Writing a movement -----------------------------------------------------------


def quote_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _names(model, *fields: str) -> list[str]:
    quote = connection.ops.quote_name
    return [quote(model._meta.db_table)] + [quote(model._meta.get_field(f).column) for f in fields]


@cache
def _transaction_sql() -> str:
    table, pk, kind, sender, receiver, amount, created_at, description, request_id, original = _names(
        Transaction, "id", "kind", "sender", "receiver", "amount", "created_at", "description", "request_id",
        "original")
    return (f"INSERT INTO {table} ({kind}, {sender}, {receiver}, {amount}, {created_at}, {description}, "
            f"{request_id}, {original}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {pk}, {created_at}")


def _entries_columns() -> str:
    return ", ".join(_names(LedgerEntry, "transaction", "user", "system_account", "direction", "counterparty",
                            "amount", "balance_after", "created_at")[1:])


def _receipt_columns() -> str:
    return ", ".join(_names(Receipt, "transaction", "status", "pdf_path", "txt_path", "attempts",
                            "last_error", "due_at", "updated_at")[1:])


@cache
def _movement_sql(entries: int, *, world: str | None, also: str = "") -> str:
    """The three inserts as one statement (data-modifying CTEs), one round trip instead of three.

    Kept for the statement count (3 per transfer instead of 5, fewer than
    before the outbox added its row) and the round trips a network adds; in
    one process on the same host ``bench/movement_sql.py`` measured no CPU
    difference (+0.00 and +0.04 ms for three statements) and wall time
    within noise (-0.12 and +0.11 ms).

    ``also`` is more CTEs after those, written by another app into the same
    statement (a movement's events, ``apps.webhooks.services.movement_events_part``):
    they may select from ``t``, the transaction's row.

    ``world`` adds a fourth write: ``"from"`` (a deposit) debits ``world``,
    ``"to"`` (a deposit's reversal) credits it back; either way it is created
    if a flushed database lost it, and its entry is the second leg. The
    transaction's row is selected from that write, so its id is taken only
    once ``world`` is locked: ``world``'s entries are in id order, as a
    wallet's are.
    """
    rows = ", ".join(["(%s::bigint, %s, %s::bigint, %s::numeric, %s::numeric)"] * entries)
    entries_sql = (f"INSERT INTO {quote_table(LedgerEntry)} ({_entries_columns()}) "
                   f"SELECT t.id, v.usr, NULL::bigint, v.dir, v.other, v.amt, v.bal, t.created_at "
                   f"FROM t, (VALUES {rows}) AS v (usr, dir, other, amt, bal)")
    txn = _transaction_sql()
    world_sql = ""
    if world is not None:
        sign = "-" if world == "from" else ""
        system, code, balance, created_at, updated_at = _names(
            SystemAccount, "code", "balance", "created_at", "updated_at")
        world_sql = (f"w AS (INSERT INTO {system} AS s ({code}, {balance}, {created_at}, {updated_at}) "
                     f"VALUES (%s, {sign}%s::numeric, %s, %s) ON CONFLICT ({code}) DO UPDATE "
                     f"SET {balance} = s.{balance} + EXCLUDED.{balance}, "
                     f"{updated_at} = EXCLUDED.{updated_at} RETURNING s.id, s.{balance}), ")
        placeholders = ", ".join(["%s"] * 8)
        txn = txn.replace(f" VALUES ({placeholders}) ", f" SELECT {placeholders} FROM w ")
        entries_sql += (f" UNION ALL SELECT t.id, NULL, w.id, %s, %s::bigint, {sign}%s::numeric, "
                        f"w.{balance}, t.created_at FROM t, w")
    return (f"WITH {world_sql}t AS ({txn}), "
            f"e AS ({entries_sql}), "
            f"r AS (INSERT INTO {quote_table(Receipt)} ({_receipt_columns()}) "
            f"SELECT t.id, %s, '', '', 0, '', %s, %s FROM t)"
            f"{', ' + also if also else ''} SELECT t.id FROM t")


# In the model's field order: ``from_db`` fills the fields it names in that order.
_TRANSACTION_FIELDS = ("id", "kind", "sender_id", "receiver_id", "amount", "created_at", "description",
                       "original_id", "request_id")


def movement_record(*, kind: str, sender_id: int | None, receiver_id: int | None, amount: Decimal,
                    now: dt.datetime, receiver_balance: Decimal | None = None,
                    sender_balance: Decimal | None = None, description: str = "",
                    original_id: int | None = None, also: StatementPart | None = None) -> Transaction:
    """Insert the transaction, one ledger entry per account and its owed receipt; return the row as saved.

    ``receiver_balance`` and ``sender_balance`` are the wallets' balances
    after the movement, known to the caller under the wallet lock: each
    entry stores its owner's (``balance_after``), no query needed, and the
    transaction's time (``created_at``, which the statement's index reads).
    Without a sender (a deposit) the money comes from ``world``; without a
    receiver (a deposit's reversal) it goes back to ``world``; ``world``'s
    balance and entry are written by the same statement. ``original_id``
    names the movement a refund or a reversal gives back from (the database
    checks it: migration 0013).

    The receipt row is the outbox: written in the movement's transaction, it
    is the only trace of the receipt on the money path (no broker I/O); the
    relay renders it after the commit (``apps.receipts.services.receipts_claim``).
    The three inserts are one statement, and so are the rows of ``also``
    (CTEs that may select from ``t``, the transaction's row: a movement's events).
    """
    if sender_id is None and receiver_id is None:
        raise ValueError("a movement has a sender, a receiver or both")
    at = connection.ops.adapt_datetimefield_value(now)
    sent, received = LedgerEntry.Direction.SENT.value, LedgerEntry.Direction.RECEIVED.value
    parties = []
    if receiver_id is not None:
        parties.append((receiver_id, received, sender_id, amount, receiver_balance))
    if sender_id is not None:
        parties.append((sender_id, sent, receiver_id, -amount, sender_balance))
    world, world_rows, world_leg = None, [], []
    if sender_id is None:
        world, world_leg = "from", [sent, receiver_id, amount]
    elif receiver_id is None:
        world, world_leg = "to", [received, sender_id, amount]
    if world is not None:
        world_rows = [SystemAccount.Code.WORLD.value, amount, at, at]
    request_id = current_request_id()  # the request being served, if any: logs and admin show it
    row = [str(kind), sender_id, receiver_id, amount, at, description, request_id, original_id]
    owed = [Receipt.Status.PENDING.value, at, at]
    with connection.cursor() as cursor:
        cursor.execute(_movement_sql(len(parties), world=world, also=also.sql if also else ""),
                       [*world_rows, *row, *(value for party in parties for value in party), *world_leg,
                        *owed, *(also.params if also else ())])
        txn_id = cursor.fetchone()[0]
    return Transaction.from_db(connection.alias, _TRANSACTION_FIELDS,
                               (txn_id, kind, sender_id, receiver_id, amount, now, description, original_id,
                                request_id))


# --- Checking the books -----------------------------------------------------------

# Each check reports at most this many rows (the first ones, in id order) and how many there were.
FIRST_BAD_ROWS = 20


@dataclass
class LedgerReport:
    wallets: int = 0
    system_accounts: int = 0
    transactions: int = 0
    total_balance: Decimal = ZERO  # the wallets'
    system_balance: Decimal = ZERO  # the system accounts'
    discrepancies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    @property
    def grand_total(self) -> Decimal:
        return self.total_balance + self.system_balance


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _first(lines: list[str], total: int, what: str) -> list[str]:
    if total > len(lines):
        lines.append(f"... and {total - len(lines)} more {what}")
    return lines


@cache
def _legs_sql() -> str:
    """Every transaction against its entries, in one pass over each table (a full join)."""
    entry, txn = quote_table(LedgerEntry), quote_table(Transaction)
    return f"""
        WITH legs AS (
            SELECT transaction_id, COUNT(*) AS n, SUM(amount) AS total,
                   MAX(amount) AS credit, MIN(amount) AS debit,
                   MAX(user_id) FILTER (WHERE amount > 0) AS credited,
                   MAX(user_id) FILTER (WHERE amount < 0) AS debited,
                   MAX(system_account_id) FILTER (WHERE amount < 0) AS debited_system,
                   MAX(system_account_id) FILTER (WHERE amount > 0) AS credited_system
            FROM {entry} GROUP BY transaction_id
        ), bad AS (
            SELECT COALESCE(t.id, legs.transaction_id) AS id, t.kind, COALESCE(legs.n, 0) AS n,
                   COALESCE(legs.total, 0) AS total, t.id IS NULL AS orphan
            FROM {txn} t FULL JOIN legs ON legs.transaction_id = t.id
            WHERE t.id IS NULL OR legs.transaction_id IS NULL OR legs.n <> 2 OR legs.total <> 0
               OR legs.credit <> t.amount OR legs.debit <> -t.amount
               OR legs.credited IS DISTINCT FROM t.receiver_id
               OR legs.debited IS DISTINCT FROM t.sender_id
               -- a missing party is world: a deposit comes from it, a deposit's reversal goes back to it
               OR legs.credited_system IS DISTINCT FROM (CASE WHEN t.receiver_id IS NULL THEN %(world)s END)
               OR legs.debited_system IS DISTINCT FROM (CASE WHEN t.sender_id IS NULL THEN %(world)s END)
        )
        SELECT id, kind, n, total, orphan, COUNT(*) OVER () FROM bad ORDER BY id LIMIT {FIRST_BAD_ROWS}
    """


@cache
def _returns_sql() -> str:
    """The originals that refunds and reversals gave back more of than their amount (one aggregate)."""
    txn = quote_table(Transaction)
    return f"""
        SELECT o.id, o.amount, SUM(r.amount), COUNT(*) OVER ()
        FROM {txn} r JOIN {txn} o ON o.id = r.original_id
        GROUP BY o.id, o.amount HAVING SUM(r.amount) > o.amount
        ORDER BY o.id LIMIT {FIRST_BAD_ROWS}
    """


@cache
def _chain_sql() -> str:
    """Each account's entries in transaction order, each against the one before (one window pass).

    Returns the entries whose ``balance_after`` is not the previous one plus
    their amount (at most ``FIRST_BAD_ROWS``, with their count) and every
    account's last entry, to compare with the account's balance.
    """
    entry = quote_table(LedgerEntry)
    return f"""
        WITH chain AS (
            SELECT user_id, system_account_id, transaction_id, balance_after,
                   COALESCE(LAG(balance_after) OVER w, 0) + amount AS expected,
                   LEAD(transaction_id) OVER w IS NULL AS last
            FROM {entry}
            WINDOW w AS (PARTITION BY user_id, system_account_id ORDER BY transaction_id)
        ), marked AS (
            SELECT *, balance_after <> expected AS broken,
                   COUNT(*) FILTER (WHERE balance_after <> expected) OVER () AS breaks,
                   ROW_NUMBER() OVER (PARTITION BY balance_after <> expected ORDER BY transaction_id) AS nth
            FROM chain WHERE last OR balance_after <> expected
        )
        SELECT user_id, system_account_id, transaction_id, balance_after, expected, last, breaks
        FROM marked WHERE last OR (broken AND nth <= {FIRST_BAD_ROWS})
        ORDER BY transaction_id
    """


def _account_name(user_id, system_account_id, codes: dict[int, str]) -> str:
    if user_id is not None:
        return f"user {user_id}"
    return f"system account {codes.get(system_account_id, system_account_id)}"


def ledger_verify(*, balances: Iterable[tuple[int, int, Decimal]]) -> LedgerReport:
    """Check every invariant of the books; each failure becomes one line in ``discrepancies``.

    ``balances`` yields ``(wallet_id, user_id, balance)`` for every wallet.
    Run it in one snapshot (``apps.core.snapshot.consistent_snapshot``).
    The checks: each transaction has its two entries, which match it and sum
    to zero, and no entry's transaction is missing; no original was given
    back (refunds and reversals) beyond its amount; each account's entries
    chain (``balance_after`` = the previous one + ``amount``) and end at the
    account's balance; no wallet is below zero; every balance, the system
    accounts' included, sums to zero.
    """
    report = LedgerReport()
    systems = list(SystemAccount.objects.values_list("pk", "code", "balance"))
    codes = {pk: code for pk, code, _ in systems}
    world = next((pk for pk, code, _ in systems if code == SystemAccount.Code.WORLD), None)

    lines, rows = [], _rows(_legs_sql(), {"world": world})
    for txn_id, kind, n, amount_sum, orphan, _ in rows:
        if orphan:
            lines.append(f"transaction {txn_id}: {n} ledger entries reference it but it does not exist")
        else:
            lines.append(f"transaction {txn_id} ({kind}): {n} ledger entries summing to {amount_sum} "
                         f"do not match it")
    report.discrepancies.extend(_first(lines, rows[0][-1] if rows else 0,
                                       "transactions whose entries do not match them"))

    rows = _rows(_returns_sql())
    report.discrepancies.extend(_first(
        [f"transaction {txn_id}: refunds and reversals gave back {returned} of its {amount}"
         for txn_id, amount, returned, _ in rows],
        rows[0][-1] if rows else 0, "transactions given back beyond their amount"))

    lines, rows, last_balances = [], _rows(_chain_sql()), {}
    for user_id, system_id, txn_id, balance_after, expected, last, _ in rows:
        if balance_after != expected:
            lines.append(f"{_account_name(user_id, system_id, codes)}, transaction {txn_id}: balance_after "
                         f"{balance_after} != previous balance_after plus the amount = {expected}")
        if last:
            last_balances[(user_id, system_id)] = balance_after
    report.discrepancies.extend(_first(lines, rows[0][-1] if rows else 0, "running-balance breaks"))

    wallet_users = set()
    for wallet_id, user_id, balance in balances:
        report.wallets += 1
        report.total_balance += balance
        wallet_users.add(user_id)
        if balance < 0:
            report.discrepancies.append(f"wallet {wallet_id} (user {user_id}): negative balance {balance}")
        last = last_balances.get((user_id, None), ZERO)
        if balance != last:
            report.discrepancies.append(
                f"wallet {wallet_id} (user {user_id}): balance {balance} != its last entry's "
                f"balance_after {last} (off by {balance - last})"
            )
    for pk, code, balance in systems:
        report.system_accounts += 1
        report.system_balance += balance
        last = last_balances.get((None, pk), ZERO)
        if balance != last:
            report.discrepancies.append(
                f"system account {code}: balance {balance} != its last entry's balance_after {last} "
                f"(off by {balance - last})"
            )
    for user_id, system_id in sorted(set(last_balances) - {(u, None) for u in wallet_users}
                                     - {(None, pk) for pk in codes}, key=str):
        report.discrepancies.append(f"{_account_name(user_id, system_id, codes)}: has ledger entries but "
                                    f"no {'wallet' if user_id is not None else 'account row'}")

    report.transactions = Transaction.objects.count()
    if report.grand_total != 0:
        report.discrepancies.append(
            f"wallets total {report.total_balance} + system accounts total {report.system_balance} "
            f"= {report.grand_total}, not zero"
        )
    return report
