"""Periodic housekeeping, run hourly by Celery beat (CELERY_BEAT_SCHEDULE)."""
from celery import shared_task

from apps.core.idempotency import idempotency_keys_purge


@shared_task(name="apps.core.tasks.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Delete idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS; safe to run any time."""
    return idempotency_keys_purge()
