"""Background entry points: receive ids, re-read the rows, call a service."""
import logging
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import DatabaseError

from apps.transactions.services import receipt_attempt_failed, receipt_generate, receipts_sweep

logger = logging.getLogger(__name__)

RECEIPT_MAX_RETRIES = 6  # backoff 5 s, 10 s, 20 s, ... up to 10 minutes, with jitter
RETRYABLE = (DatabaseError, OSError)  # the database or the storage being unavailable


def _record_failure(transaction_id: int, exc: Exception, *, final: bool) -> None:
    try:
        receipt_attempt_failed(transaction_id=transaction_id, error=repr(exc), final=final)
    except Exception:  # the database itself may be what is failing; the sweep covers it
        logger.exception("Could not record the failed receipt attempt for transaction %s.", transaction_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RECEIPT_MAX_RETRIES)
def receipt_generate_task(self, transaction_id: int) -> None:
    try:
        receipt_generate(transaction_id=transaction_id)
    except RETRYABLE as exc:
        final = self.request.retries >= self.max_retries
        _record_failure(transaction_id, exc, final=final)
        if final:
            raise
        countdown = get_exponential_backoff_interval(
            factor=5, retries=self.request.retries, maximum=600, full_jitter=True,
        )
        raise self.retry(exc=exc, countdown=max(countdown, 1)) from exc
    except Exception as exc:
        _record_failure(transaction_id, exc, final=True)
        raise


@shared_task(acks_late=True)
def receipts_sweep_task() -> None:
    receipts_sweep(older_than=timedelta(seconds=settings.RECEIPT_SWEEP_AFTER))
