"""What must hold after the bank test, read straight from PostgreSQL (the observer's own
connection, not through PgBouncer), besides ``verify_ledger``. Each check returns the lines of
what does not hold."""
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fleet.bank import Attempt, Client

TRANSFERS_SQL = """
SELECT t.id, t.sender_id, t.receiver_id, t.amount,
       count(*) FILTER (WHERE e.direction = 'sent' AND e.user_id = t.sender_id) AS sent,
       count(*) FILTER (WHERE e.direction = 'received' AND e.user_id = t.receiver_id) AS received,
       count(e.id) AS entries, bool_or(r.transaction_id IS NOT NULL) AS owes_receipt
FROM transactions_transaction t
LEFT JOIN transactions_ledgerentry e ON e.transaction_id = t.id
LEFT JOIN receipts_receipt r ON r.transaction_id = t.id
WHERE t.kind = 'transfer'
GROUP BY t.id
"""


def _rows(db, sql: str, params=None) -> list[tuple]:
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def transfers(db) -> dict[int, tuple]:
    """Every transfer: id -> (sender, receiver, amount, sent entries, received entries, entries, receipt)."""
    return {row[0]: row[1:] for row in _rows(db, TRANSFERS_SQL)}


def whole(transfer: tuple | None, attempt: Attempt) -> str:
    """Why the stored transfer is not exactly the attempt with its two entries and receipt ('' if it is)."""
    if transfer is None:
        return "missing"
    sender, receiver, amount, sent, received, entries, owes_receipt = transfer
    if (sender, receiver, amount) != (attempt.sender, attempt.receiver, Decimal(attempt.amount)):
        return f"stored as {sender}->{receiver} {amount}"
    if (sent, received, entries) != (1, 1, 2):
        return f"{entries} ledger entries ({sent} sent, {received} received)"
    return "" if owes_receipt else "no receipt row"


def committed_keys(db, attempts: list[Attempt]) -> dict[str, int | None]:
    """Idempotency-Key -> the transaction its committed request stored (absent: never committed)."""
    rows = _rows(db, "SELECT user_id, key, response_body FROM core_idempotencykey WHERE key = ANY(%s)",
                 ([a.key for a in attempts],))
    senders = {a.key: a.sender for a in attempts}
    return {key: body["transaction"]["id"] if body else None  # a key without its answer: a failure
            for user_id, key, body in rows if senders.get(key) == user_id}


@dataclass
class Outcomes:
    """The lost answers, settled from the database: which committed, which did not."""

    present: dict[str, int] = field(default_factory=dict)  # key -> transaction id
    absent: set[str] = field(default_factory=set)


def check_acknowledged_and_lost(db, attempts: list[Attempt]) -> tuple[list[str], Outcomes]:
    """Every 201 is in the ledger exactly once; every lost answer is fully present or fully absent;
    and there is no transfer that no request asked for."""
    failures, stored = [], transfers(db)
    acknowledged = [a for a in attempts if a.acknowledged]
    lost = [a for a in attempts if a.indeterminate]
    keys = committed_keys(db, acknowledged + lost)
    ids = [a.txn_id for a in acknowledged]
    if len(set(ids)) != len(ids):
        failures.append(f"{len(ids) - len(set(ids))} transaction ids were acknowledged twice")
    for attempt in acknowledged:
        if problem := whole(stored.get(attempt.txn_id), attempt):
            failures.append(f"acknowledged transfer {attempt.txn_id} ({attempt.key}): {problem}")
        if keys.get(attempt.key) != attempt.txn_id:
            failures.append(f"acknowledged transfer {attempt.txn_id}: its key stores {keys.get(attempt.key)}")
    outcomes = Outcomes()
    for attempt in lost:
        if attempt.key in keys:
            outcomes.present[attempt.key] = keys[attempt.key]
            if problem := whole(stored.get(keys[attempt.key]), attempt):
                failures.append(f"lost answer {attempt.key} committed partly: {problem}")
        else:
            outcomes.absent.add(attempt.key)
    expected = len(acknowledged) + len(outcomes.present)
    if len(stored) != expected:
        failures.append(f"{len(stored)} transfers stored, but {len(acknowledged)} acknowledged + "
                        f"{len(outcomes.present)} lost-but-committed = {expected}")
    return failures, outcomes


@dataclass
class Retries:
    replayed: int = 0  # the original transfer's answer, with Idempotent-Replayed: true
    performed: int = 0  # had not committed: done now, once
    refused: int = 0  # had not committed and is refused now (the sender's balance moved on)
    failures: list[str] = field(default_factory=list)


def retry_lost(client: Client, attempts: list[Attempt], outcomes: Outcomes) -> Retries:
    """Send each lost request again, twice, with its key: the original result or one transfer."""
    result = Retries()
    for attempt in (a for a in attempts if a.indeterminate):
        first, second = client.send(attempt.again()), client.send(attempt.again())
        original = outcomes.present.get(attempt.key)
        if original is not None:
            if not (first.acknowledged and first.replayed and first.txn_id == original):
                result.failures.append(f"retry of committed {attempt.key} (transaction {original}): "
                                       f"{first.status} {first.code or first.failure} id {first.txn_id}")
                continue
            result.replayed += 1
        elif first.acknowledged and not first.replayed:
            result.performed += 1
        elif first.status == 400 and first.code == "insufficient_funds":
            result.refused += 1
        else:
            result.failures.append(f"retry of uncommitted {attempt.key}: {first.status} "
                                   f"{first.code or first.failure} replayed={first.replayed}")
            continue
        same = (second.acknowledged and second.replayed and second.txn_id == first.txn_id) if \
            first.acknowledged else (second.status == first.status and second.code == first.code)
        if not same:
            result.failures.append(f"second retry of {attempt.key} differs: {second.status} "
                                   f"{second.code or second.failure} id {second.txn_id}, "
                                   f"first id {first.txn_id}")
    return result


def check_counts(db, *, deposits: Decimal, users: int, transfers_expected: int) -> list[str]:
    """One wallet and one deposit per user, the deposits the run made, and no transfer missing or
    extra. (The books themselves, balances against movements, are ``verify_ledger``'s.)"""
    (wallets, deposited, deposit_count, transfer_count), = _rows(db, """
        SELECT (SELECT count(*) FROM wallets_wallet),
               coalesce(sum(amount) FILTER (WHERE kind = 'deposit'), 0),
               count(*) FILTER (WHERE kind = 'deposit'), count(*) FILTER (WHERE kind = 'transfer')
        FROM transactions_transaction""")
    failures = []
    if (wallets, deposit_count, deposited) != (users, users, deposits):
        failures.append(f"{wallets} wallets and {deposit_count} deposits of {deposited} in all for {users} "
                        f"users and {deposits} deposited")
    if transfer_count != transfers_expected:
        failures.append(f"{transfer_count} transfers stored, {transfers_expected} expected after the retries")
    return failures


@dataclass
class Drain:
    seconds: float | None  # from the end of the load until every receipt was ready
    receipts: int
    reclaimed: int  # claimed more than once: their worker was killed holding them (the lease)
    failures: list[str]


def wait_receipts(db, *, since: float, timeout: float, media: Path) -> Drain:
    """Until every transaction's receipt is ready (or ``timeout``); then the files are checked:
    exactly one PDF and one text file each, whatever was rendered twice."""
    deadline = time.monotonic() + timeout
    while True:
        (owed, receipts, transactions, failed, reclaimed), = _rows(db, """
            SELECT count(*) FILTER (WHERE r.status <> 'ready'), count(r.transaction_id), count(*),
                   count(*) FILTER (WHERE r.status = 'failed'), count(*) FILTER (WHERE r.attempts > 1)
            FROM transactions_transaction t LEFT JOIN receipts_receipt r ON r.transaction_id = t.id""")
        if (owed == 0 and receipts == transactions) or failed or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    seconds = time.monotonic() - since if owed == 0 and not failed else None
    failures = []
    if receipts != transactions:
        failures.append(f"{transactions - receipts} transactions have no receipt row")
    if owed:
        failures.append(f"{owed} receipts not ready after {timeout:.0f} s ({failed} failed)")
    files = sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []
    if not owed and len(files) != 2 * receipts:
        failures.append(f"{len(files)} receipt files for {receipts} receipts (one PDF and one text each)")
    return Drain(seconds=seconds, receipts=receipts, reclaimed=reclaimed, failures=failures)
