"""The webhook delivery backlog as Prometheus gauges, read from the database when Prometheus scrapes."""
from apps.core.metrics import BacklogCollector
from apps.webhooks.selectors import delivery_backlog


def webhook_backlog_collector() -> BacklogCollector:
    """``wallet_webhook_deliveries_owed``, ``..._oldest_owed_age_seconds``, ``..._failed`` and
    ``wallet_webhook_backlog_up``: one query per scrape (``selectors.delivery_backlog``)."""
    return BacklogCollector(family="webhook", things="webhook_deliveries", read=delivery_backlog, help={
        "owed": "Webhook deliveries owed: events not yet answered with a 2xx, still being retried.",
        "age": "Age of the oldest owed delivery's event, in seconds (0 when none).",
        "failed": "Webhook deliveries that failed for good (retry window spent, or endpoint disabled); "
                  "the endpoint's owner can redeliver them.",
    })
