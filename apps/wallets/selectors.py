import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from django.db import connection
from django.shortcuts import get_object_or_404

from apps.core.batches import keyset_rows
from apps.core.snapshot import consistent_snapshot
from apps.transactions.ledger import LedgerReport, ledger_verify
from apps.transactions.models import SystemAccount
from apps.transactions.selectors import balance_at
from apps.wallets.models import Wallet


def wallet_get(*, user_id: int) -> Wallet:
    return get_object_or_404(Wallet.objects.filter(user__is_active=True), user_id=user_id)


@dataclass(frozen=True)
class WalletAsOf:
    """A wallet as it stood at a past instant: ``updated_at`` is the time of the entry that left
    that balance (the wallet's creation when none had)."""

    id: int
    user_id: int
    balance: Decimal
    updated_at: dt.datetime
    currency: str


def wallet_as_of(*, user_id: int, moment: dt.datetime) -> WalletAsOf:
    """The caller's wallet at ``moment``: the balance right after the last entry at or before it."""
    wallet = wallet_get(user_id=user_id)
    balance, at = balance_at(user_id=user_id, moment=moment)
    return WalletAsOf(id=wallet.pk, user_id=user_id, balance=balance, updated_at=at or wallet.created_at,
                      currency=wallet.currency)


def system_accounts() -> list[SystemAccount]:
    """Every system account with its balance (``world`` is minus everything ever deposited)."""
    return list(SystemAccount.objects.order_by("code"))


def wallet_balances() -> Iterator[tuple[int, int, Decimal]]:
    """``(wallet_id, user_id, balance)`` of every wallet in wallet id order, 10,000 at a time."""
    return keyset_rows(Wallet.objects.values_list("pk", "user_id", "balance"), key="pk", batch_size=10_000)


def ledger_check() -> LedgerReport:
    """The books checked against every wallet, all read in one snapshot.

    On a live system a movement committing between two of the checks' reads
    would otherwise show up as a discrepancy that is not there.
    """
    with consistent_snapshot():
        return ledger_verify(balances=wallet_balances())


def _lock_queryset(user_ids: list[int]):
    return (
        Wallet.objects.select_for_update(of=("self",), no_key=True)
        .filter(user_id__in=user_ids, user__is_active=True)
        .only("id", "user_id", "balance")
        .order_by("pk")
    )


@cache
def _lock_sql(count: int) -> str:
    """The lock query's SQL for ``count`` users, compiled by the ORM once per process.

    Compiling the queryset cost three times the CPU of running it (see
    BENCHMARKS.md), and its SQL only depends on the number of ids. Marker ids prove
    that the ids are the statement's only parameters.
    """
    markers = list(range(-count, 0))
    sql, params = _lock_queryset(markers).query.sql_with_params()
    if list(params) != markers:
        raise RuntimeError(f"unexpected parameters in the wallet lock query: {params!r}")
    return sql


class LockedWallet(NamedTuple):
    """A wallet row as the lock query read it, under its row lock."""

    id: int
    user_id: int
    balance: Decimal


def wallets_lock(*, user_ids: Iterable[int]) -> dict[int, LockedWallet]:
    """Lock the active users' wallets in one query, in ascending wallet id order.

    Every money movement locks through here, so two transfers touching the
    same wallets always take the locks in the same order and cannot deadlock.
    Must run inside ``transaction.atomic``. Returns ``{user_id: wallet}``;
    a missing key means no such active user or no wallet. The rows are read
    with a plain cursor (the SQL compiled once, above): building model
    instances cost a third of the query's own CPU.
    """
    ids = list(user_ids)
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(len(ids)), ids)
        rows = cursor.fetchall()
    return {user_id: LockedWallet(pk, user_id, balance) for pk, user_id, balance in rows}
