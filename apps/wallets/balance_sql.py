"""The balance write of a money movement, as one plain SQL statement.

Written through the query builder (``update()`` with ``F``, ``Case`` and
``Round``) the same statement cost 0.61 and 0.63 ms more CPU per movement in
two runs of ``bench/movement_sql.py`` (median of 5 x 1,000 movements in one
process, on PostgreSQL): compiling it costs more than PostgreSQL spends
running it. It runs only inside a movement's transaction after its wallets
are locked.

The UPDATE applies deltas (``balance + delta``) rather than writing values
computed in Python: under the lock both give the same result, and a delta can
never overwrite a concurrent write; ``numeric`` addition is exact.
"""
import datetime as dt
from decimal import Decimal
from functools import cache

from django.db import connection

from apps.wallets.models import Wallet


@cache
def _balances_sql(wallets: int, *, with_held: bool) -> str:
    quote = connection.ops.quote_name
    table = quote(Wallet._meta.db_table)
    user, balance, held, updated_at = (quote(Wallet._meta.get_field(f).column)
                                       for f in ("user", "balance", "held", "updated_at"))
    whens = " ".join(["WHEN %s THEN %s"] * wallets)
    ids = ", ".join(["%s"] * wallets)
    held_set = f"{held} = {held} + CASE {user} {whens} END, " if with_held else ""
    return (f"UPDATE {table} SET {balance} = {balance} + CASE {user} {whens} END, {held_set}"
            f"{updated_at} = %s WHERE {user} IN ({ids})")


def balances_apply(deltas: dict[int, Decimal], *, now: dt.datetime,
                   held: dict[int, Decimal] | None = None) -> None:
    """Add ``deltas[user_id]`` to each locked wallet's balance (and ``held[user_id]`` to its held
    amount, for the same wallets), in one UPDATE."""
    params = [value for user_id, delta in deltas.items() for value in (user_id, delta)]
    if held:
        params += [value for user_id in deltas for value in (user_id, held.get(user_id, 0))]
    params += [connection.ops.adapt_datetimefield_value(now), *deltas]
    with connection.cursor() as cursor:
        cursor.execute(_balances_sql(len(deltas), with_held=bool(held)), params)
        if cursor.rowcount != len(deltas):  # the caller holds the locks: cannot happen
            raise RuntimeError(f"balance update touched {cursor.rowcount} wallets, expected {len(deltas)}")
