"""The receipt backlog as Prometheus gauges, read from the database when Prometheus scrapes."""
from apps.core.metrics import BacklogCollector
from apps.receipts.selectors import receipt_backlog


def _read():
    backlog = receipt_backlog()
    return backlog.owed, backlog.oldest_owed_at, backlog.failed


def receipt_backlog_collector() -> BacklogCollector:
    """``wallet_receipts_owed``, ``..._oldest_owed_age_seconds``, ``wallet_receipts_failed`` and
    ``wallet_receipt_backlog_up``: one query per scrape (``selectors.receipt_backlog``)."""
    return BacklogCollector(family="receipt", things="receipts", read=_read, help={
        "owed": "Receipts owed: committed transactions whose receipt is not rendered yet.",
        "age": "Age of the oldest owed receipt's transaction, in seconds (0 when none).",
        "failed": "Receipts that failed for good (retries spent); an operator re-renders them.",
    })
