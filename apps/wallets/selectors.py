from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache

from django.db import connection
from django.shortcuts import get_object_or_404

from apps.wallets.models import Wallet


def wallet_get(*, user_id: int) -> Wallet:
    return get_object_or_404(Wallet.objects.filter(user__is_active=True), user_id=user_id)


def wallet_balances() -> Iterator[tuple[int, int, Decimal]]:
    """``(wallet_id, user_id, balance)`` of every wallet, streamed in wallet id order."""
    return Wallet.objects.order_by("pk").values_list("pk", "user_id", "balance").iterator(chunk_size=10_000)


def _lock_queryset(user_ids: list[int]):
    return (
        Wallet.objects.select_for_update(of=("self",), no_key=True)
        .filter(user_id__in=user_ids, user__is_active=True)
        .only("id", "user_id", "balance")
        .order_by("pk")
    )


@cache
def _lock_sql(vendor: str, count: int) -> str:
    """The lock query's SQL for ``count`` users, compiled by the ORM once per process.

    Compiling the queryset cost three times the CPU of running it (see
    BENCHMARKS.md), and its SQL only depends on the backend and the number of
    ids. Marker ids prove that the ids are the statement's only parameters.
    """
    markers = list(range(-count, 0))
    sql, params = _lock_queryset(markers).query.sql_with_params()
    if list(params) != markers:
        raise RuntimeError(f"unexpected parameters in the wallet lock query: {params!r}")
    return sql


def wallets_lock(*, user_ids: Iterable[int]) -> dict[int, Wallet]:
    """Lock the active users' wallets in one query, in ascending wallet id order.

    Every money movement locks through here, so two transfers touching the
    same wallets always take the locks in the same order and cannot deadlock.
    Must run inside ``transaction.atomic``. Returns ``{user_id: wallet}``;
    a missing key means no such active user or no wallet.
    """
    ids = list(user_ids)
    wallets = Wallet.objects.raw(_lock_sql(connection.vendor, len(ids)), ids)
    return {wallet.user_id: wallet for wallet in wallets}
