"""Point the in-process Celery app at a broker, and read what was published."""
import contextlib
import os

from config.celery import app as celery_app

RECEIPT_TASK = "apps.transactions.tasks.receipt_generate_task"


def _reset_pools() -> None:
    # Celery caches its connection and producer pools; drop them so the next
    # publish connects to the broker named in the environment.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker(url: str):
    """Publish to ``url`` inside the block (Celery reads CELERY_BROKER_URL from the environment)."""
    previous = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    _reset_pools()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous
        _reset_pools()


def drain_receipt_ids(queue: str = "celery") -> list[int]:
    """Remove every message from ``queue`` and return the receipt task arguments."""
    ids = []
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_declare(queue, durable=True, auto_delete=False)
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            if message.headers.get("task") == RECEIPT_TASK:
                ids.append(message.decode()[0][0])
    return ids
