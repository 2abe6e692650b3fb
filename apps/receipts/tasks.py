"""Background entry points: the receipt relay. Tasks call services; services never enqueue."""
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from apps.receipts.services import receipts_attempt_failed, receipts_claim, receipts_render

logger = logging.getLogger(__name__)


@shared_task(acks_late=False, ignore_result=True)
def receipts_relay() -> int:
    """Render owed receipts, batch after batch, until none is due or the time budget is spent.

    Celery beat sends this every ``RECEIPT_RELAY_INTERVAL`` seconds (each
    message expires after a few intervals, so a busy or absent worker never
    finds a pile of them). Any number of workers may run it at once: each
    claims its own batches (``receipts_claim``). The message is acknowledged
    on receipt: what a dead worker had claimed is due again when its lease
    ends, and the next tick takes it. Returns how many receipts became ready.
    """
    deadline = time.monotonic() + settings.RECEIPT_RELAY_BUDGET_SECONDS
    ready = 0
    while time.monotonic() < deadline:
        ids = receipts_claim(limit=settings.RECEIPT_BATCH_SIZE)
        if not ids:
            break
        try:
            ready += len(receipts_render(transaction_ids=ids).ready)
        except DatabaseError:
            # The database is failing: the claimed rows are due again when their lease ends.
            logger.exception("Receipt batch of %s interrupted by a database error.", len(ids))
            break
        except Exception as exc:  # a bug in rendering: count the attempt, retry after a backoff
            logger.exception("Receipt batch of %s failed.", len(ids))
            receipts_attempt_failed(errors=dict.fromkeys(ids, repr(exc)))
    return ready
