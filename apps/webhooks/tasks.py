"""Background entry points: the webhook relay. Tasks call services; services never enqueue."""
import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from apps.webhooks.services import deliveries_attempt_failed, deliveries_claim, deliveries_send

logger = logging.getLogger(__name__)


@shared_task(acks_late=False, ignore_result=True)
def webhooks_relay() -> int:
    """Send due webhook deliveries, batch after batch, until none is due or the time budget is spent.

    Celery beat sends this every ``WEBHOOK_RELAY_INTERVAL`` seconds; any
    number of workers may run it at once, each claiming its own batches (the
    shared outbox claim). What a dead worker had claimed is due again when its
    lease ends. Returns how many deliveries succeeded.
    """
    deadline = time.monotonic() + settings.WEBHOOK_RELAY_BUDGET_SECONDS
    succeeded = 0
    while time.monotonic() < deadline:
        ids = deliveries_claim(limit=settings.WEBHOOK_BATCH_SIZE)
        if not ids:
            break
        try:
            succeeded += len(deliveries_send(delivery_ids=ids).succeeded)
        except DatabaseError:
            logger.exception("Webhook batch of %s interrupted by a database error.", len(ids))
            break
        except Exception as exc:  # a bug: count the attempt, retry after a backoff
            logger.exception("Webhook batch of %s failed.", len(ids))
            deliveries_attempt_failed(errors=dict.fromkeys(ids, repr(exc)))
    return succeeded
