import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from apps.core.batches import keyset_rows
from apps.core.money import cents
from apps.core.snapshot import consistent_snapshot
from apps.transactions.exceptions import ReceiptLost, ReceiptPending
from apps.transactions.models import LedgerEntry, Receipt
from apps.transactions.receipts import receipt_number


def transaction_history(*, user_id: int) -> QuerySet[LedgerEntry]:
    """The user's side of every transaction they took part in, with both parties.

    One query per page whatever its size: the parties and the receipt state
    are joined, not fetched row by row. Ordered by the unique (user,
    transaction) index.
    """
    return (
        LedgerEntry.objects.filter(user_id=user_id)
        .select_related("transaction", "transaction__sender", "transaction__receiver",
                        "transaction__receipt")
        .only(
            "transaction_id", "direction", "user_id", "balance_after",
            "transaction__kind", "transaction__amount", "transaction__created_at",
            "transaction__description",
            "transaction__sender__id", "transaction__sender__username",
            "transaction__receiver__id", "transaction__receiver__username",
            "transaction__receipt__status",
        )
    )


EXPORT_BATCH = 2_000
EXPORT_COLUMNS = ("transaction_id", "transaction__created_at", "transaction__kind", "direction",
                  "counterparty_id", "counterparty__username", "transaction__amount", "balance_after",
                  "transaction__description")


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
    return cents(last)


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
        closing_balance=closing, total_in=cents(totals["total_in"]), total_out=cents(totals["total_out"]),
        count=totals["count"],
    )


@dataclass(frozen=True)
class ReceiptFile:
    file: object  # an open storage File
    filename: str
    content_type: str


RECEIPT_FORMATS = {"pdf": "application/pdf", "txt": "text/plain; charset=utf-8"}


def receipt_file_get(*, user_id: int, transaction_id: int, fmt: str) -> ReceiptFile:
    """The receipt file of a transaction the user took part in.

    404 (as if it did not exist) for anyone but the sender and the receiver;
    ``ReceiptPending`` (409) until the receipt is ready; ``ReceiptLost`` (the
    same 409) when it has to be rendered again: the row says ready but the
    file is gone from storage, or the row itself is missing. Reads only:
    ``services.receipt_download`` does the repair.
    """
    entry = get_object_or_404(
        LedgerEntry.objects.select_related("transaction__receipt")
        .only("transaction__id", "transaction__created_at", "transaction__receipt__status",
              "transaction__receipt__pdf_path", "transaction__receipt__txt_path"),
        user_id=user_id, transaction_id=transaction_id,
    )
    created_at = entry.transaction.created_at
    receipt = getattr(entry.transaction, "receipt", None)
    if receipt is None:
        raise ReceiptLost()
    if receipt.status != Receipt.Status.READY:
        raise ReceiptPending()
    path = receipt.pdf_path if fmt == "pdf" else receipt.txt_path
    try:
        file = default_storage.open(path, "rb")
    except FileNotFoundError as exc:
        raise ReceiptLost() from exc
    number = receipt_number(transaction_id=transaction_id, created_at=created_at)
    return ReceiptFile(file=file, filename=f"{number}.{fmt}", content_type=RECEIPT_FORMATS[fmt])


@dataclass(frozen=True)
class ReceiptBacklog:
    owed: int  # pending: to be rendered (or retried)
    oldest_owed_at: dt.datetime | None  # the oldest owed receipt's transaction time
    failed: int  # given up on: an operator re-renders them (rerender_receipts)


def receipt_backlog() -> ReceiptBacklog:
    """What the receipt relay owes, in one query over the owed and failed rows only.

    Rendered receipts (nearly all of them) are not read: the pending rows are
    the relay's partial index, and the oldest is found among them.
    """
    pending, failed = Receipt.Status.PENDING, Receipt.Status.FAILED
    row = Receipt.objects.filter(status__in=(pending, failed)).aggregate(
        owed=Count("pk", filter=Q(status=pending)),
        failed=Count("pk", filter=Q(status=failed)),
        oldest_owed_at=Min("transaction__created_at", filter=Q(status=pending)),
    )
    return ReceiptBacklog(owed=row["owed"], oldest_owed_at=row["oldest_owed_at"], failed=row["failed"])
