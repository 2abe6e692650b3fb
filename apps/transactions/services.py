"""Receipt state changes: scheduling, generation and the sweep that re-enqueues.

A transaction with no ``Receipt`` row counts as pending; the money path only
schedules ``receipt_schedule`` on commit and never waits for the broker.
"""
import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from apps.transactions.models import Receipt, Transaction
from apps.transactions.receipts import Party, ReceiptData, receipt_paths, render_pdf, render_text

logger = logging.getLogger(__name__)


def receipt_schedule(transaction_id: int) -> bool:
    """Enqueue the receipt task; never raises. Call it from ``transaction.on_commit``.

    If the broker is unreachable the error is logged and ``False`` returned:
    the money movement has already committed, and the sweep enqueues the
    receipt again later.
    """
    from apps.transactions.tasks import receipt_generate_task  # tasks import this module

    try:
        receipt_generate_task.apply_async(args=(transaction_id,))
    except KombuOperationalError as exc:  # the broker is down: expected, no traceback
        logger.error("Could not enqueue the receipt of transaction %s (%s); the sweep will retry it.",
                     transaction_id, exc)
        return False
    except Exception:  # anything else must not fail a committed transfer either
        logger.exception("Could not enqueue the receipt of transaction %s; the sweep will retry it.",
                         transaction_id)
        return False
    return True


def _receipt_data(txn: Transaction) -> ReceiptData:
    sender = txn.sender
    return ReceiptData(
        transaction_id=txn.pk, kind=txn.kind, amount=txn.amount, created_at=txn.created_at,
        sender=None if sender is None else Party(id=sender.pk, username=sender.username),
        receiver=Party(id=txn.receiver.pk, username=txn.receiver.username),
    )


def _storage_write(name: str, content: bytes) -> None:
    """Write ``name`` so that a re-run overwrites it: never a second, suffixed copy."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        default_storage.delete(saved)
        raise OSError(f"Storage saved {name!r} as {saved!r}; refusing a duplicate receipt file.")


def receipt_generate(*, transaction_id: int) -> Receipt | None:
    """Render and store the receipt of a committed transaction; idempotent.

    Running it twice, or on two workers at once, leaves one ``Receipt`` row
    and one PDF and one text file: the row is created race-free
    (``get_or_create`` on the primary key), the files are written under the
    row lock, and a ``ready`` receipt is never rewritten. Returns ``None`` if
    the transaction does not exist.
    """
    txn = Transaction.objects.select_related("sender", "receiver").filter(pk=transaction_id).first()
    if txn is None:
        logger.warning("No transaction %s: nothing to produce a receipt for.", transaction_id)
        return None
    receipt, _ = Receipt.objects.get_or_create(transaction_id=txn.pk)
    if receipt.status == Receipt.Status.READY:
        return receipt

    data = _receipt_data(txn)  # render outside the lock: pure and deterministic
    pdf, txt = render_pdf(data), render_text(data)
    pdf_path, txt_path = receipt_paths(transaction_id=txn.pk, created_at=txn.created_at)
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=txn.pk)
        if receipt.status == Receipt.Status.READY:
            return receipt  # another worker finished first
        _storage_write(pdf_path, pdf)
        _storage_write(txt_path, txt)
        now = timezone.now()
        Receipt.objects.filter(pk=txn.pk).update(
            status=Receipt.Status.READY, pdf_path=pdf_path, txt_path=txt_path, generated_at=now,
            attempts=F("attempts") + 1, last_error="", updated_at=now,
        )
    return Receipt.objects.get(pk=txn.pk)


def receipt_attempt_failed(*, transaction_id: int, error: str, final: bool) -> None:
    """Record a failed attempt: still ``pending`` while retries remain, else ``failed``."""
    if not Transaction.objects.filter(pk=transaction_id).exists():
        return
    Receipt.objects.get_or_create(transaction_id=transaction_id)
    Receipt.objects.filter(pk=transaction_id).exclude(status=Receipt.Status.READY).update(
        status=Receipt.Status.FAILED if final else Receipt.Status.PENDING,
        attempts=F("attempts") + 1, last_error=error[:2000], updated_at=timezone.now(),
    )


def receipts_sweep(*, older_than: timedelta, limit: int = 1000) -> tuple[int, int]:
    """Enqueue again every receipt that is missing, pending or failed for ``older_than``.

    Missing: a transaction older than the threshold with no ``Receipt`` row
    (its task was never enqueued, e.g. the broker was down at commit, or was
    lost). Pending or failed: no progress for longer than the threshold.
    Stops at the first publish failure (the broker is still down).
    Returns ``(found, enqueued)``.
    """
    cutoff = timezone.now() - older_than
    stale = (
        Q(receipt__isnull=True, created_at__lt=cutoff)
        | Q(receipt__status__in=[Receipt.Status.PENDING, Receipt.Status.FAILED],
            receipt__updated_at__lt=cutoff)
    )
    ids = list(Transaction.objects.filter(stale).order_by("id").values_list("id", flat=True)[:limit])
    enqueued = 0
    for transaction_id in ids:
        if not receipt_schedule(transaction_id):
            break
        enqueued += 1
    if ids:
        logger.info("Receipt sweep: %s stale, %s enqueued.", len(ids), enqueued)
    return len(ids), enqueued
