import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.core.batches import keyset_rows
from apps.core.metrics import LEDGER_DISCREPANCIES, LEDGER_VERIFICATIONS
from apps.core.snapshot import consistent_snapshot
from apps.transactions.ledger import LedgerReport, ledger_verify
from apps.transactions.models import SystemAccount
from apps.transactions.selectors import balance_at
from apps.wallets.models import Hold, Wallet
from apps.webhooks.selectors import endpoint_enabled_exists

logger = logging.getLogger(__name__)


def wallet_get(*, user_id: int) -> Wallet:
    """The active user's wallet as of now: ``held`` leaves out holds that expired (released or not)."""
    wallet = get_object_or_404(Wallet.objects.filter(user__is_active=True), user_id=user_id)
    wallet.held = held_now(user_id=user_id, stored=wallet.held)
    return wallet


@dataclass(frozen=True)
class WalletAsOf:
    """A wallet as it stood at a past instant: ``updated_at`` is the time of the entry that left
    that balance (the wallet's creation when none had)."""

    id: int
    user_id: int
    balance: Decimal
    held: Decimal
    updated_at: dt.datetime
    currency: str

    @property
    def available(self) -> Decimal:
        return self.balance - self.held


def held_at(*, user_id: int, moment: dt.datetime) -> Decimal:
    """What the user's holds as payer reserved at ``moment``: made by then, not yet resolved or expired."""
    total = (Hold.objects.filter(payer_id=user_id, created_at__lte=moment, expires_at__gt=moment)
             .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=moment))
             .aggregate(total=Sum("amount"))["total"])
    return total or Decimal("0.00")


def wallet_as_of(*, user_id: int, moment: dt.datetime) -> WalletAsOf:
    """The caller's wallet at ``moment``: the balance right after the last entry at or before it."""
    wallet = wallet_get(user_id=user_id)
    balance, at = balance_at(user_id=user_id, moment=moment)
    held = held_at(user_id=user_id, moment=moment)
    return WalletAsOf(id=wallet.pk, user_id=user_id, balance=balance, held=held,
                      updated_at=at or wallet.created_at, currency=wallet.currency)


def system_accounts() -> list[SystemAccount]:
    """Every system account with its balance (``world`` is minus everything ever deposited)."""
    return list(SystemAccount.objects.order_by("code"))


def wallet_balances() -> Iterator[tuple[int, int, Decimal]]:
    """``(wallet_id, user_id, balance)`` of every wallet in wallet id order, 10,000 at a time."""
    return keyset_rows(Wallet.objects.values_list("pk", "user_id", "balance"), key="pk", batch_size=10_000)


def _lock_queryset(user_ids: list[int]):
    return (
        Wallet.objects.select_for_update(of=("self",), no_key=True)
        .filter(user_id__in=user_ids, user__is_active=True)
        .only("id", "user_id", "balance", "held")
        .annotate(hooked=endpoint_enabled_exists("user_id"))
        .order_by("pk")
    )


@cache
def _lock_sql(count: int) -> tuple[str, tuple]:
    """The lock query's SQL and parameters for ``count`` users, compiled by the ORM once per process.

    Compiling the queryset cost three times the CPU of running it (see
    BENCHMARKS.md), and its SQL only depends on the number of ids. Marker ids
    (``-count`` to ``-1``) show where the ids go among the parameters; any other
    parameter is a constant of the query.
    """
    markers = list(range(-count, 0))
    sql, params = _lock_queryset(markers).query.sql_with_params()
    if sorted(p for p in params if type(p) is int and p < 0) != markers:
        raise RuntimeError(f"unexpected parameters in the wallet lock query: {params!r}")
    return sql, tuple(params)


class LockedWallet(NamedTuple):
    """A wallet row as the lock query read it, under its row lock."""

    id: int
    user_id: int
    balance: Decimal
    held: Decimal  # active holds as payer, expired ones included until released
    hooked: bool = False  # has an enabled webhook endpoint: the movement writes its events

    @property
    def available(self) -> Decimal:
        return self.balance - self.held


def wallets_lock(*, user_ids: Iterable[int]) -> dict[int, LockedWallet]:
    """Lock the active users' wallets in one query, in ascending wallet id order.

    Every money movement locks through here, so two transfers touching the
    same wallets always take the locks in the same order and cannot deadlock.
    Must run inside ``transaction.atomic``. Returns ``{user_id: wallet}``;
    a missing key means no such active user or no wallet. The rows are read
    with a plain cursor (the SQL compiled once, above): building model
    instances cost a third of the query's own CPU. Each says whether its user
    has an enabled webhook endpoint: the movement writes events only then.
    """
    ids = list(user_ids)
    sql, params = _lock_sql(len(ids))
    with connection.cursor() as cursor:  # marker -k stands for ids[-k]
        cursor.execute(sql, [ids[p] if type(p) is int and p < 0 else p for p in params])
        rows = cursor.fetchall()
    return {row[1]: LockedWallet(*row) for row in rows}


# --- Holds ----------------------------------------------------------------------------

def hold_for_party(*, hold_id: int, user_id: int) -> Hold:
    """The hold, for its payer or payee only (anyone else: 404, as if it did not exist)."""
    return get_object_or_404(Hold.objects.filter(Q(payer_id=user_id) | Q(payee_id=user_id)), pk=hold_id)


def holds_of(*, user_id: int, role: str | None = None, status: str | None = None) -> QuerySet[Hold]:
    """The user's holds as payer, payee or either, with both parties joined.

    ``status`` is the hold's state as of now: an active hold past its time is ``expired``
    before the sweep has marked it.
    """
    queryset = Hold.objects.select_related("payer", "payee")
    if role == "payer":
        queryset = queryset.filter(payer_id=user_id)
    elif role == "payee":
        queryset = queryset.filter(payee_id=user_id)
    else:
        queryset = queryset.filter(Q(payer_id=user_id) | Q(payee_id=user_id))
    now = timezone.now()
    if status == Hold.Status.EXPIRED:
        queryset = queryset.filter(Q(status=status) | Q(status=Hold.Status.ACTIVE, expires_at__lte=now))
    elif status == Hold.Status.ACTIVE:
        queryset = queryset.filter(status=status, expires_at__gt=now)
    elif status:
        queryset = queryset.filter(status=status)
    return queryset


def hold_get(*, hold_id: int, user_id: int) -> Hold:
    return get_object_or_404(holds_of(user_id=user_id), pk=hold_id)


def held_now(*, user_id: int, stored: Decimal) -> Decimal:
    """The wallet's held amount as of now, its expired holds left out (released or not yet).

    ``stored`` is the wallet's ``held`` column: a wallet holding nothing costs no query.
    """
    return held_at(user_id=user_id, moment=timezone.now()) if stored else stored


def holds_verify() -> list[str]:
    """Each wallet's ``held`` against its active holds as payer (expired ones count until released).

    One aggregate query: the wallets whose ``held`` differs from the sum of their active holds.
    """
    active = (Hold.objects.filter(payer_id=OuterRef("user_id"), status=Hold.Status.ACTIVE).order_by()
              .values("payer_id").annotate(total=Sum("amount")).values("total"))
    wrong = (Wallet.objects.annotate(active=Coalesce(Subquery(active), Value(Decimal("0.00"))))
             .exclude(held=F("active")).order_by("pk").values_list("pk", "user_id", "held", "active")[:20])
    return [f"wallet {pk} (user {user_id}): held {held} != its active holds {total}"
            for pk, user_id, held, total in wrong]


def ledger_check() -> LedgerReport:
    """Verify the books in one snapshot, and say how it went in the metrics and the log.

    One snapshot: on a live system a transfer committing between two of the
    checks' reads would otherwise show up as a discrepancy that is not there.
    """
    with consistent_snapshot():
        report = ledger_verify(balances=wallet_balances())
        report.discrepancies.extend(holds_verify())
    LEDGER_VERIFICATIONS.labels("ok" if report.ok else "discrepancies").inc()
    LEDGER_DISCREPANCIES.set(len(report.discrepancies))
    if report.ok:
        logger.info("Ledger OK: %d wallets, %d system accounts, %d transactions, no discrepancies.",
                    report.wallets, report.system_accounts, report.transactions)
    else:
        logger.error("Ledger verification failed: %d discrepancies. First ones:\n%s",
                     len(report.discrepancies), "\n".join(report.discrepancies[:20]))
    return report
