"""Background entry points of the wallets: the books checked on a schedule (``LEDGER_VERIFY_SCHEDULE``,
daily by default) and the sweep of expired holds. Tasks call services and selectors."""
from celery import shared_task

from apps.wallets import holds
from apps.wallets.selectors import ledger_check


@shared_task(name="apps.wallets.tasks.ledger_verify", ignore_result=True)
def ledger_verify() -> bool:
    """Run ``verify_ledger``'s checks; a discrepancy is logged as an error with the first bad rows."""
    return ledger_check().ok


@shared_task(ignore_result=True)
def holds_expire() -> int:
    """Mark expired holds ``expired`` and release their amounts (reads already leave them out)."""
    return holds.holds_expire()
