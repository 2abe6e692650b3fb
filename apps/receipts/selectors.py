"""Reads of receipts: the file of a transaction's receipt for one of its parties, and the backlog."""
import datetime as dt
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404

from apps.receipts.exceptions import ReceiptLost, ReceiptPending
from apps.receipts.models import Receipt, transactions
from apps.receipts.rendering import receipt_number


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
    txn = get_object_or_404(
        transactions().objects.select_related("receipt")
        .only("id", "created_at", "receipt__status", "receipt__pdf_path", "receipt__txt_path"),
        Q(sender_id=user_id) | Q(receiver_id=user_id), pk=transaction_id,
    )
    created_at = txn.created_at
    receipt = getattr(txn, "receipt", None)
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
