from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

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
            "transaction_id", "direction", "user_id",
            "transaction__kind", "transaction__amount", "transaction__created_at",
            "transaction__sender__id", "transaction__sender__username",
            "transaction__receiver__id", "transaction__receiver__username",
            "transaction__receipt__status",
        )
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
