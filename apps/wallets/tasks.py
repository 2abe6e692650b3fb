"""Background entry points of the wallets: the sweep of expired holds. Tasks call services."""
from celery import shared_task

from apps.wallets import holds


@shared_task(ignore_result=True)
def holds_expire() -> int:
    """Mark expired holds ``expired`` and release their amounts (reads already leave them out)."""
    return holds.holds_expire()
