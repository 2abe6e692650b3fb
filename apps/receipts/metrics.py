"""The receipt backlog as Prometheus gauges, read from the database when Prometheus scrapes."""
import logging

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from apps.receipts.selectors import receipt_backlog

logger = logging.getLogger(__name__)


class ReceiptBacklogCollector:
    """``wallet_receipts_owed``, ``..._oldest_owed_age_seconds`` and ``wallet_receipts_failed``.

    One query per scrape (``selectors.receipt_backlog``). When the database
    does not answer, the gauges are left out and ``wallet_receipt_backlog_up``
    is 0, so an alert on the backlog is not silently satisfied by a missing
    series.
    """

    def collect(self):
        try:
            backlog = receipt_backlog()
        except DatabaseError:
            logger.exception("metrics: the receipt backlog could not be read")
            yield GaugeMetricFamily("wallet_receipt_backlog_up",
                                    "1 when the receipt backlog was read for this scrape, else 0.", value=0)
            return
        yield GaugeMetricFamily("wallet_receipt_backlog_up",
                                "1 when the receipt backlog was read for this scrape, else 0.", value=1)
        yield GaugeMetricFamily("wallet_receipts_owed",
                                "Receipts owed: committed transactions whose receipt is not rendered yet.",
                                value=backlog.owed)
        age = 0.0
        if backlog.oldest_owed_at is not None:
            age = max(0.0, (timezone.now() - backlog.oldest_owed_at).total_seconds())
        yield GaugeMetricFamily("wallet_receipts_oldest_owed_age_seconds",
                                "Age of the oldest owed receipt's transaction, in seconds (0 when none).",
                                value=age)
        yield GaugeMetricFamily("wallet_receipts_failed",
                                "Receipts that failed for good (retries spent); an operator re-renders them.",
                                value=backlog.failed)
