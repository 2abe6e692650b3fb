"""Receipt state changes: the relay's claim, the batch render, failures, and re-rendering.

The money path never talks to the broker: the movement's own transaction
inserts the owed ``Receipt`` row (``ledger.movement_record``). The relay task
(``tasks.receipts_relay``, run by Celery beat every ``RECEIPT_RELAY_INTERVAL``
seconds on any worker) claims due rows here with ``SELECT … FOR UPDATE SKIP
LOCKED``, renders them in batches and marks them ready. This module never
enqueues anything; ``tasks`` imports it, never the other way round.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.metrics import RECEIPT_CLAIMS, RECEIPT_LEASE_EXPIRIES, RECEIPT_RENDERS
from apps.core.outbox import Outbox
from apps.receipts.exceptions import ReceiptLost
from apps.receipts.models import Receipt, transactions
from apps.receipts.rendering import Party, ReceiptData, receipt_paths, render_batch
from apps.receipts.selectors import ReceiptFile, receipt_file_get

logger = logging.getLogger(__name__)


def retry_backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 5 s after the first failure, doubling, at most 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 600))


class ReceiptOutbox(Outbox):
    """The receipts' relay rules: ``RECEIPT_MAX_ATTEMPTS`` claims, a backoff doubling from 5 s."""

    model = Receipt
    pending, failed = Receipt.Status.PENDING, Receipt.Status.FAILED
    label = "receipt"

    def lease(self) -> timedelta:
        return timedelta(seconds=settings.RECEIPT_LEASE_SECONDS)

    def spent(self, now) -> Q:
        return Q(attempts__gte=settings.RECEIPT_MAX_ATTEMPTS)

    def spent_error(self) -> str:
        return f"Gave up after {settings.RECEIPT_MAX_ATTEMPTS} attempts without a render."

    def retry_at(self, row, now):
        if row.attempts >= settings.RECEIPT_MAX_ATTEMPTS:
            return None
        return now + retry_backoff(row.attempts)

    def observe_claim(self, *, claimed: int, spent: int, lease_expiries: int) -> None:
        RECEIPT_CLAIMS.inc(claimed)
        RECEIPT_RENDERS.labels("failed").inc(spent)
        RECEIPT_LEASE_EXPIRIES.inc(lease_expiries)

    def observe_failures(self, *, retried: int, gave_up: int) -> None:
        RECEIPT_RENDERS.labels("retry").inc(retried)
        RECEIPT_RENDERS.labels("failed").inc(gave_up)


RECEIPTS = ReceiptOutbox()


def receipts_claim(*, limit: int) -> list[int]:
    """Claim up to ``limit`` due receipts for one render batch; their transaction ids.

    The shared outbox claim (``apps.core.outbox``): ``FOR UPDATE SKIP LOCKED``,
    so workers claiming at once take disjoint batches; a claim counts an
    attempt and pushes ``due_at`` one lease ahead, so a dead worker's rows are
    due again when the lease ends. A row already claimed
    ``RECEIPT_MAX_ATTEMPTS`` times (its worker kept dying) is marked
    ``failed`` instead.
    """
    return RECEIPTS.claim(limit=limit)


def _receipt_data(txn) -> ReceiptData:
    sender, receiver = txn.sender, txn.receiver
    return ReceiptData(
        transaction_id=txn.pk, kind=txn.kind, amount=txn.amount, created_at=txn.created_at,
        sender=None if sender is None else Party(id=sender.pk, username=sender.username),
        receiver=None if receiver is None else Party(id=receiver.pk, username=receiver.username),
        currency=settings.WALLET_CURRENCY, issuer=settings.RECEIPT_ISSUER, description=txn.description,
        original_id=txn.original_id,
    )


def _storage_write(name: str, content: bytes) -> None:
    """Write ``name`` so that a re-run overwrites it: never a second, suffixed copy."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        default_storage.delete(saved)
        raise OSError(f"Storage saved {name!r} as {saved!r}; refusing a duplicate receipt file.")


@dataclass(frozen=True)
class BatchOutcome:
    ready: list[int]
    failed: dict[int, str]  # transaction id -> error


def receipts_render(*, transaction_ids: list[int]) -> BatchOutcome:
    """Render and store a claimed batch: one query reads it, one UPDATE marks it ready.

    Idempotent: file names are deterministic and a re-render writes the same
    bytes over them, so a batch run twice (a lease that ran out) leaves one
    PDF and one text file per receipt. A file that cannot be written fails
    that receipt alone (``receipts_attempt_failed``); the rest of the batch
    is marked ready.
    """
    txns = list(
        transactions().objects.filter(pk__in=transaction_ids).select_related("sender", "receiver")
        .only("id", "kind", "amount", "created_at", "description", "request_id", "original_id", "sender__id",
              "sender__username", "receiver__id", "receiver__username")
        .order_by("id")
    )
    rendered = render_batch([_receipt_data(txn) for txn in txns])
    now = timezone.now()
    ready, failed = [], {}
    for txn, files in zip(txns, rendered, strict=True):
        pdf_path, txt_path = receipt_paths(transaction_id=txn.pk, created_at=txn.created_at)
        try:
            _storage_write(pdf_path, files.pdf)
            _storage_write(txt_path, files.txt)
        except OSError as exc:
            failed[txn.pk] = repr(exc)
            continue
        ready.append(Receipt(transaction_id=txn.pk, status=Receipt.Status.READY, pdf_path=pdf_path,
                             txt_path=txt_path, generated_at=now, last_error="", updated_at=now))
    # Only rows still pending: a row put back by a re-render request in the meantime stays owed.
    Receipt.objects.filter(status=Receipt.Status.PENDING).bulk_update(
        ready, ["status", "pdf_path", "txt_path", "generated_at", "last_error", "updated_at"])
    RECEIPT_RENDERS.labels("ready").inc(len(ready))
    request_ids = {txn.pk: (txn.request_id, txn.kind) for txn in txns}
    for receipt in ready:
        # One line per receipt with the request id of the transaction's request: the request's
        # log line and this one are found together.
        request_id, kind = request_ids[receipt.transaction_id]
        logger.info("Receipt of %s %s ready", kind, receipt.transaction_id, extra={
            "transaction_id": receipt.transaction_id, "kind": kind, "request_id": request_id})
    if failed:
        receipts_attempt_failed(errors=failed)
    return BatchOutcome(ready=[r.transaction_id for r in ready], failed=failed)


def receipts_attempt_failed(*, errors: dict[int, str]) -> None:
    """Record failed attempts: due again after a backoff, or ``failed`` once attempts run out."""
    RECEIPTS.attempts_failed(errors=errors)


RECEIPT_LOST_ERROR = "Requested while lost (file missing from storage, or never produced); queued again."


def receipts_rerender(*, transaction_ids: list[int], reason: str) -> int:
    """Make receipts owed again (due now, a fresh set of attempts); how many changed.

    For a receipt whose file was lost from storage, one that failed for
    good, or a transaction whose receipt row is missing. The relay renders
    them within ``RECEIPT_RELAY_INTERVAL``. Existing transactions only.
    """
    now = timezone.now()
    ids = list(transactions().objects.filter(pk__in=transaction_ids).values_list("pk", flat=True))
    with transaction.atomic():
        have = set(Receipt.objects.filter(pk__in=ids).values_list("pk", flat=True))
        Receipt.objects.bulk_create([Receipt(transaction_id=pk, last_error=reason, due_at=now)
                                     for pk in ids if pk not in have], ignore_conflicts=True)
        changed = Receipt.objects.filter(pk__in=have).exclude(status=Receipt.Status.PENDING).update(
            status=Receipt.Status.PENDING, attempts=0, due_at=now, last_error=reason, updated_at=now)
    return changed + len(set(ids) - have)


def receipt_download(*, user_id: int, transaction_id: int, fmt: str) -> ReceiptFile:
    """The receipt file for the download; a lost receipt is owed again and answers 409.

    ``ReceiptLost`` is a ``ReceiptPending``: the caller sees ``receipt_pending``
    and retries, and the file is back once the relay has rendered it. Only the
    request that finds it lost changes the row, so polling does not reset it.
    """
    try:
        return receipt_file_get(user_id=user_id, transaction_id=transaction_id, fmt=fmt)
    except ReceiptLost:
        if receipts_rerender(transaction_ids=[transaction_id], reason=RECEIPT_LOST_ERROR):
            logger.warning("The receipt of transaction %s was lost; owed again.", transaction_id)
        raise
