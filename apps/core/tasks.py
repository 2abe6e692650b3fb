"""Periodic housekeeping. Wire into the beat schedule, e.g.::

    CELERY_BEAT_SCHEDULE["purge-idempotency-keys"] = {
        "task": "apps.core.tasks.purge_idempotency_keys",
        "schedule": 3600.0,  # hourly; keys live IDEMPOTENCY_KEY_TTL_HOURS (24) at least
    }
"""
from celery import shared_task

from apps.core.idempotency import idempotency_keys_purge


@shared_task(name="apps.core.tasks.purge_idempotency_keys", ignore_result=True)
def purge_idempotency_keys() -> int:
    """Delete idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS; safe to run any time."""
    return idempotency_keys_purge()
