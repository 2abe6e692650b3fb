import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from apps.core.batches import keyset_rows
from apps.core.money import ZERO
from apps.core.snapshot import consistent_snapshot
from apps.transactions.models import LedgerEntry, Transaction


def transaction_history(*, user_id: int) -> QuerySet[LedgerEntry]:
    """The user's side of every transaction they took part in, with both parties.

    One query per page whatever its size: the parties and the receipt state
    are joined, not fetched row by row. Ordered by the unique (user,
    transaction) index.
    """
    returns = (Transaction.objects.filter(original_id=OuterRef("transaction_id")).order_by()
               .values("original_id"))
    return (
        LedgerEntry.objects.filter(user_id=user_id)
        .select_related("transaction", "transaction__sender", "transaction__receiver",
                        "transaction__receipt")
        .only(
            "transaction_id", "direction", "user_id", "balance_after",
            "transaction__kind", "transaction__amount", "transaction__created_at",
            "transaction__description", "transaction__original_id",
            "transaction__sender__id", "transaction__sender__username",
            "transaction__receiver__id", "transaction__receiver__username",
            "transaction__receipt__status",
        )
        # What was given back of each row, and by which transactions: one probe of the partial
        # index on ``original`` per row of the page (rows nothing was given back of find none).
        .annotate(
            returned_amount=Coalesce(Subquery(returns.annotate(total=Sum("amount")).values("total")),
                                     Value(ZERO), output_field=DecimalField()),
            returned_by=Coalesce(Subquery(returns.annotate(ids=ArrayAgg("id", order_by="id")).values("ids")),
                                 Value([]), output_field=ArrayField(BigIntegerField())),
        )
    )


EXPORT_BATCH = 2_000
EXPORT_COLUMNS = ("transaction_id", "transaction__created_at", "transaction__kind", "direction",
                  "counterparty_id", "counterparty__username", "transaction__amount", "balance_after",
                  "transaction__description", "transaction__original_id")


def transaction_entries(*, user_id: int) -> QuerySet[LedgerEntry]:
    """The user's ledger entries, unordered and unjoined: the base the export's filters narrow."""
    return LedgerEntry.objects.filter(user_id=user_id)


def transaction_export(*, entries: QuerySet[LedgerEntry], batch_size: int = EXPORT_BATCH) -> Iterator[tuple]:
    """``entries`` newest first as plain tuples (``EXPORT_COLUMNS``), read ``batch_size`` at a time.

    Keyset batches (``transaction < last seen ORDER BY transaction DESC LIMIT n``
    along the (user, transaction) index): each batch costs the same at any
    depth, and only one batch is ever in memory, so an export of a million
    entries streams in the memory of one batch. Entries written after the
    export started are newer than its first row and are not in it.

    The first batch is read by this call, the others as the iterator is
    consumed: a database that cannot answer fails the call itself (before a
    response exists, so the request gets its 503), and a failure later raises
    from the iterator, never a shorter result that looks whole.
    """
    rows = keyset_rows(entries.values_list(*EXPORT_COLUMNS), key="transaction_id", batch_size=batch_size,
                       descending=True)
    first = list(islice(rows, batch_size))  # stops at the batch's end: the next one is not read
    return chain(first, rows)


@dataclass(frozen=True)
class Statement:
    start: dt.datetime
    end: dt.datetime
    currency: str
    opening_balance: Decimal
    closing_balance: Decimal
    total_in: Decimal
    total_out: Decimal
    count: int


def _balance_before(*, user_id: int, moment: dt.datetime) -> Decimal:
    """The running balance just before ``moment``: the last earlier entry's, 0 before the first.

    A user's entries are written under their wallet lock, their time taken
    under it, so their time order is their transaction order: the last entry
    before ``moment`` is one backward probe of the (user, created_at,
    transaction) index, which carries ``balance_after`` (index-only on
    PostgreSQL), however long the history.
    """
    last = (LedgerEntry.objects.filter(user_id=user_id, created_at__lt=moment)
            .order_by("-created_at", "-transaction_id").values_list("balance_after", flat=True).first())
    return ZERO if last is None else last


def balance_at(*, user_id: int, moment: dt.datetime) -> tuple[Decimal, dt.datetime | None]:
    """The user's balance right after their last entry at or before ``moment`` (0 before the
    first), and that entry's time (None before the first).

    The statement's tie order (time, then transaction), and like
    ``_balance_before`` one backward probe of the (user, created_at,
    transaction) index, index-only, at any depth of history.
    """
    last = (LedgerEntry.objects.filter(user_id=user_id, created_at__lte=moment)
            .order_by("-created_at", "-transaction_id").values_list("balance_after", "created_at").first())
    return (ZERO, None) if last is None else last


def transaction_statement(*, user_id: int, start: dt.datetime, end: dt.datetime) -> Statement:
    """The caller's statement for [start, end): balances at both ends and the totals in between.

    Three queries whatever the range holds: the opening and closing balances
    are one stored ``balance_after`` each, and the totals one aggregate
    (SUM and COUNT in the database) over the range's entries, found along the
    (user, created_at) index: never the rows read into Python, and never a
    scan of other users' rows or of the user's entries outside the range.
    """
    with consistent_snapshot():  # a movement committing between the reads would unbalance them
        totals = LedgerEntry.objects.filter(
            user_id=user_id, created_at__gte=start, created_at__lt=end,
        ).aggregate(
            total_in=Sum("transaction__amount", filter=Q(direction=LedgerEntry.Direction.RECEIVED)),
            total_out=Sum("transaction__amount", filter=Q(direction=LedgerEntry.Direction.SENT)),
            count=Count("pk"),
        )
        opening = _balance_before(user_id=user_id, moment=start)
        closing = _balance_before(user_id=user_id, moment=end)
    return Statement(
        start=start, end=end, currency=settings.WALLET_CURRENCY, opening_balance=opening,
        closing_balance=closing, total_in=totals["total_in"] or ZERO, total_out=totals["total_out"] or ZERO,
        count=totals["count"],
    )


# --- Refunds and reversals -------------------------------------------------------------

@dataclass(frozen=True)
class LockedOriginal:
    """A transaction about to be given back, as read under its row lock."""

    id: int
    kind: str
    sender_id: int | None
    receiver_id: int
    amount: Decimal
    created_at: dt.datetime


def original_lock(*, transaction_id: int) -> LockedOriginal | None:
    """Lock the transaction's row (``FOR NO KEY UPDATE``: no update follows, it is immutable); None if absent.

    Refunds and reversals of one original take turns on this lock, taken
    before any wallet's: the global order is the original, then the wallets
    by id (transfers take only the latter, so no cycle can form). Inside the
    movement's transaction only.
    """
    row = (Transaction.objects.select_for_update(no_key=True).filter(pk=transaction_id)
           .values_list("pk", "kind", "sender_id", "receiver_id", "amount", "created_at").first())
    return None if row is None else LockedOriginal(*row)


def returned_amount(*, original_id: int) -> Decimal:
    """What refunds and reversals have given back of the original so far (one index range).

    Read after ``original_lock``, in its own statement: under READ COMMITTED
    a statement that started before the lock was granted would not see the
    return that held it.
    """
    return (Transaction.objects.filter(original_id=original_id).aggregate(total=Sum("amount"))["total"]
            or ZERO)
