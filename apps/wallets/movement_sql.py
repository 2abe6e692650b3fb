"""The writes of a money movement, as three plain SQL statements.

A transfer is the hottest write path, and compiling its writes through the
query builder cost more CPU than PostgreSQL spent running them (profile in
``BENCHMARKS.md``). These statements are the same ones the ORM would send,
written once: they run unchanged on PostgreSQL and SQLite, and only inside
a movement's ``transaction.atomic`` block after its wallets are locked.

The balance UPDATE applies deltas (``balance + delta``) rather than writing
values computed in Python: under the lock both give the same result, and a
delta can never overwrite a concurrent write. ``ROUND(…, 2)`` is exact on
PostgreSQL and brings SQLite's floating-point sum back to the cent.
"""
import datetime as dt
from decimal import Decimal
from functools import cache

from django.db import connection

from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.models import Wallet


def _names(model, *fields: str) -> list[str]:
    quote = connection.ops.quote_name
    return [quote(model._meta.db_table)] + [quote(model._meta.get_field(f).column) for f in fields]


@cache
def _balances_sql(wallets: int) -> str:
    table, user, balance, updated_at = _names(Wallet, "user", "balance", "updated_at")
    whens = " ".join(["WHEN %s THEN %s"] * wallets)
    ids = ", ".join(["%s"] * wallets)
    return (f"UPDATE {table} SET {balance} = ROUND({balance} + CASE {user} {whens} END, 2), "
            f"{updated_at} = %s WHERE {user} IN ({ids})")


@cache
def _transaction_sql() -> str:
    table, pk, kind, sender, receiver, amount, created_at = _names(
        Transaction, "id", "kind", "sender", "receiver", "amount", "created_at")
    return (f"INSERT INTO {table} ({kind}, {sender}, {receiver}, {amount}, {created_at}) "
            f"VALUES (%s, %s, %s, %s, %s) RETURNING {pk}")


@cache
def _entries_sql(entries: int) -> str:
    table, txn, user, direction, counterparty = _names(
        LedgerEntry, "transaction", "user", "direction", "counterparty")
    rows = ", ".join(["(%s, %s, %s, %s)"] * entries)
    return f"INSERT INTO {table} ({txn}, {user}, {direction}, {counterparty}) VALUES {rows}"


def balances_apply(deltas: dict[int, Decimal], *, now: dt.datetime) -> None:
    """Add ``deltas[user_id]`` to each locked wallet, in one UPDATE."""
    params = [value for user_id, delta in deltas.items() for value in (user_id, delta)]
    params += [connection.ops.adapt_datetimefield_value(now), *deltas]
    with connection.cursor() as cursor:
        cursor.execute(_balances_sql(len(deltas)), params)
        if cursor.rowcount != len(deltas):  # the caller holds the locks: cannot happen
            raise RuntimeError(f"balance update touched {cursor.rowcount} wallets, expected {len(deltas)}")


def movement_insert(*, kind: str, sender_id: int | None, receiver_id: int, amount: Decimal,
                    now: dt.datetime) -> Transaction:
    """Insert the transaction and one ledger entry per party; return the row as saved (no re-read)."""
    with connection.cursor() as cursor:
        cursor.execute(_transaction_sql(),
                       [str(kind), sender_id, receiver_id, amount,
                        connection.ops.adapt_datetimefield_value(now)])
        txn_id = cursor.fetchone()[0]
        entries = [(txn_id, receiver_id, LedgerEntry.Direction.RECEIVED.value, sender_id)]
        if sender_id is not None:
            entries.append((txn_id, sender_id, LedgerEntry.Direction.SENT.value, receiver_id))
        cursor.execute(_entries_sql(len(entries)), [value for entry in entries for value in entry])
    txn = Transaction(id=txn_id, kind=kind, sender_id=sender_id, receiver_id=receiver_id,
                      amount=amount, created_at=now)
    txn._state.adding = False
    txn._state.db = connection.alias
    return txn
