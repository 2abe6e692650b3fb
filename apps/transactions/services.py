"""Receipt state changes: scheduling, generation, the sweep that re-enqueues,
and the download that puts a lost receipt back in the queue.

A transaction with no ``Receipt`` row counts as pending; the money path only
schedules ``receipt_schedule`` on commit and never waits for the broker.
"""
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from apps.transactions.exceptions import ReceiptLost
from apps.transactions.models import Receipt, Transaction
from apps.transactions.receipts import Party, ReceiptData, receipt_paths, render_pdf, render_text
from apps.transactions.selectors import ReceiptFile, receipt_file_get

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


def _receipt_done(receipt: Receipt) -> bool:
    """Ready, and both files still in storage: a file deleted from storage is produced again."""
    return receipt.status == Receipt.Status.READY and all(
        default_storage.exists(name) for name in (receipt.pdf_path, receipt.txt_path))


def receipt_generate(*, transaction_id: int) -> Receipt | None:
    """Render and store the receipt of a committed transaction; idempotent.

    Running it twice, or on two workers at once, leaves one ``Receipt`` row
    and one PDF and one text file: the row is created race-free
    (``get_or_create`` on the primary key), the files are written under the
    row lock, and a ``ready`` receipt whose files are in storage is never
    rewritten. A ``ready`` row whose file has gone is rendered and written
    again. Returns ``None`` if the transaction does not exist.
    """
    txn = Transaction.objects.select_related("sender", "receiver").filter(pk=transaction_id).first()
    if txn is None:
        logger.warning("No transaction %s: nothing to produce a receipt for.", transaction_id)
        return None
    receipt, _ = Receipt.objects.get_or_create(transaction_id=txn.pk)
    if _receipt_done(receipt):
        return receipt

    data = _receipt_data(txn)  # render outside the lock: pure and deterministic
    pdf, txt = render_pdf(data), render_text(data)
    pdf_path, txt_path = receipt_paths(transaction_id=txn.pk, created_at=txn.created_at)
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=txn.pk)
        if _receipt_done(receipt):
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


RECEIPT_LOST_ERROR = "Requested while lost (file missing from storage, or never produced); queued again."


def receipt_rebuild(*, transaction_id: int) -> bool:
    """Put a lost receipt back to ``pending`` and enqueue it once that commits.

    Lost: the row says ``ready`` but a file is gone from storage, or there is
    no row at all (the transaction is too old for the sweep window). Only the
    call that makes the change enqueues, so a client polling the download
    does not flood the queue. If the publish fails the row is ``pending`` and
    the sweep enqueues it after ``RECEIPT_SWEEP_AFTER``, whatever its age.
    The transaction must exist (the download found it). Returns whether this
    call queued it.
    """
    with transaction.atomic():
        _, created = Receipt.objects.get_or_create(transaction_id=transaction_id,
                                                   defaults={"last_error": RECEIPT_LOST_ERROR})
        changed = created or Receipt.objects.filter(
            pk=transaction_id, status=Receipt.Status.READY,
        ).update(status=Receipt.Status.PENDING, last_error=RECEIPT_LOST_ERROR, updated_at=timezone.now())
        if changed:
            transaction.on_commit(partial(receipt_schedule, transaction_id))
    if changed:
        logger.warning("The receipt of transaction %s was lost; queued to be produced again.",
                       transaction_id)
    return bool(changed)


def receipt_download(*, user_id: int, transaction_id: int, fmt: str) -> ReceiptFile:
    """The receipt file for the download; a lost receipt is queued again and answers 409.

    ``ReceiptLost`` is a ``ReceiptPending``: the caller sees ``receipt_pending``
    and retries, and the file is back once the task has run.
    """
    try:
        return receipt_file_get(user_id=user_id, transaction_id=transaction_id, fmt=fmt)
    except ReceiptLost:
        receipt_rebuild(transaction_id=transaction_id)
        raise


def _first_id_since(since) -> int:
    """The lowest transaction id that can have been created at or after ``since``.

    Ids grow with ``created_at`` (set once at insert, never editable), so the
    newest transaction older than ``since`` marks where the window starts.
    The query walks the primary-key index backwards from the newest row and
    stops at the first older one: it reads the window, never the history.
    """
    older = (Transaction.objects.filter(created_at__lt=since).order_by("-id")
             .values_list("id", flat=True).first())
    return 0 if older is None else older + 1


def receipts_sweep(*, older_than: timedelta, window: timedelta | None = None,
                   limit: int = 1000) -> tuple[int, int]:
    """Enqueue again the receipts that are missing, pending or failed for ``older_than``.

    Missing: a transaction created within ``window`` (default
    ``RECEIPT_SWEEP_WINDOW_DAYS``) but more than ``older_than`` ago, with no
    ``Receipt`` row (its task was never enqueued, e.g. the broker was down
    at commit, or was lost). Only that window is read, as a primary-key
    range, so the cost of a sweep does not grow with the history; an older
    transaction without a receipt is queued by its first download instead.
    Pending or failed: no progress for longer than ``older_than``, whatever
    the transaction's age (the status index finds them; a lost receipt that
    a download could not enqueue is among them). At most ``limit`` per run,
    missing ones first (oldest first), then the longest-stuck ones. Stops at
    the first publish failure (the broker is still down).
    Returns ``(found, enqueued)``.
    """
    if window is None:
        window = timedelta(days=settings.RECEIPT_SWEEP_WINDOW_DAYS)
    now = timezone.now()
    cutoff, since = now - older_than, now - window
    ids = []
    if since < cutoff:
        ids = list(
            Transaction.objects.filter(pk__gte=_first_id_since(since), created_at__gte=since,
                                       created_at__lt=cutoff, receipt__isnull=True)
            .order_by("id").values_list("id", flat=True)[:limit]
        )
    if len(ids) < limit:
        ids += list(
            Receipt.objects.filter(status__in=[Receipt.Status.PENDING, Receipt.Status.FAILED],
                                   updated_at__lt=cutoff)
            .order_by("updated_at").values_list("transaction_id", flat=True)[:limit - len(ids)]
        )
    enqueued = 0
    for transaction_id in ids:
        if not receipt_schedule(transaction_id):
            break
        enqueued += 1
    if ids:
        logger.info("Receipt sweep: %s stale, %s enqueued.", len(ids), enqueued)
    return len(ids), enqueued
