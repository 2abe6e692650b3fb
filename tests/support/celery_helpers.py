"""Point the in-process Celery app at a broker."""
import contextlib
import os

from config.celery import app as celery_app


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
