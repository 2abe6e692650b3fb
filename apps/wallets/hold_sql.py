"""Releasing a payer's expired holds, as one plain SQL statement inside a movement.

An expired hold no longer reserves anything: every read of available funds leaves it out
at once. Its amount stays in the wallet's ``held`` column until a movement of that wallet
(or the periodic sweep, ``holds.holds_expire``) releases it here, under the wallet's lock:
the holds are marked ``expired`` and the caller subtracts the returned sum from ``held`` in
the same transaction, so ``held`` always equals the wallet's active holds at commit.
"""
import datetime as dt
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from django.db import connection

from apps.wallets.models import Hold


@cache
def _release_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(Hold._meta.db_table)
    columns = ("payer", "status", "expires_at", "resolved_at", "amount")
    payer, status, expires_at, resolved_at, amount = (quote(Hold._meta.get_field(f).column) for f in columns)
    return (f"WITH released AS (UPDATE {table} SET {status} = %s, {resolved_at} = %s "
            f"WHERE {payer} = %s AND {status} = %s AND {expires_at} <= %s RETURNING id, {amount}) "
            f"SELECT COUNT(*), COALESCE(SUM({amount}), 0), COALESCE(ARRAY_AGG(id ORDER BY id), '{{}}') "
            f"FROM released")


class Released(NamedTuple):
    count: int
    amount: Decimal
    hold_ids: list[int]


def holds_release_expired(*, payer_id: int, now: dt.datetime) -> Released:
    """Mark the payer's expired active holds ``expired``: how many, and the amount they held.

    Call it under the payer wallet's lock, and subtract the result from its ``held``.
    """
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_release_sql(),
                       [Hold.Status.EXPIRED.value, at, payer_id, Hold.Status.ACTIVE.value, at])
        count, amount, hold_ids = cursor.fetchone()
    return Released(count, amount, hold_ids)
