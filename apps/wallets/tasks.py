"""The books checked on a schedule (``LEDGER_VERIFY_SCHEDULE``, daily by default)."""
import logging

from celery import shared_task

from apps.wallets.selectors import ledger_check

logger = logging.getLogger(__name__)


@shared_task(name="apps.wallets.tasks.ledger_verify", ignore_result=True)
def ledger_verify() -> bool:
    """Run ``verify_ledger``'s checks; a discrepancy is logged as an error with the first bad rows."""
    report = ledger_check()
    if report.ok:
        logger.info("Ledger OK: %d wallets, %d system accounts, %d transactions, no discrepancies.",
                    report.wallets, report.system_accounts, report.transactions)
        return True
    logger.error("Ledger verification failed: %d discrepancies. First ones:\n%s",
                 len(report.discrepancies), "\n".join(report.discrepancies[:20]))
    return False
