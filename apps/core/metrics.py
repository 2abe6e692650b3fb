"""Prometheus metrics: what the service counts, and the text that ``GET /metrics`` answers.

Counters and histograms are updated where things happen (a request, a money
movement, a relay claim, a ledger check). Under gunicorn, or whenever
``PROMETHEUS_MULTIPROC_DIR`` names a directory, every process writes its
values there and a scrape adds them up (prometheus-client's multiprocess
mode), so any worker answers with the totals of all of them. Gauges that
come from the database (the receipt backlog) are read when Prometheus
scrapes, by collectors the apps register (``scrape_collector_add``): one
indexed query per scrape, nothing on the money path.
"""
import functools
import logging
import os
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = ["CONTENT_TYPE_LATEST"]

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "wallet_http_requests", "HTTP requests answered, by route (the URL pattern), method and status.",
    ["route", "method", "status"])
HTTP_REQUEST_DURATION = Histogram(
    "wallet_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
MONEY_MOVEMENTS = Counter(
    "wallet_money_movements",
    "Money movements by kind (transfer, deposit) and outcome: completed, replayed (an "
    "Idempotency-Key's stored answer), the refusal's error code, or error.",
    ["kind", "outcome"])
RECEIPT_CLAIMS = Counter(
    "wallet_receipt_relay_claims", "Receipts claimed by the relay for a render (each claim is an attempt).")
RECEIPT_LEASE_EXPIRIES = Counter(
    "wallet_receipt_relay_lease_expiries",
    "Receipts claimed again because the lease of an earlier claim ran out (its worker died or overran).")
RECEIPT_RENDERS = Counter(
    "wallet_receipt_renders",
    "Receipt render attempts by outcome: ready, retry (due again after a backoff), failed (for good).",
    ["outcome"])
WEBHOOK_CLAIMS = Counter(
    "wallet_webhook_relay_claims", "Webhook deliveries claimed by the relay for an attempt.")
WEBHOOK_LEASE_EXPIRIES = Counter(
    "wallet_webhook_relay_lease_expiries",
    "Webhook deliveries claimed again because the lease of an earlier claim ran out.")
WEBHOOK_ATTEMPTS = Counter(
    "wallet_webhook_delivery_attempts",
    "Webhook delivery attempts by outcome: delivered (a 2xx), retry (due again after a backoff), "
    "failed (for good: the retry window is spent, or the endpoint is disabled).",
    ["outcome"])
LEDGER_VERIFICATIONS = Counter(
    "wallet_ledger_verifications", "Ledger verification runs by outcome (ok, discrepancies).", ["outcome"])
LEDGER_DISCREPANCIES = Gauge(
    "wallet_ledger_discrepancies", "Discrepancies the most recent ledger verification found.",
    multiprocess_mode="mostrecent")

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"  # no URL pattern: a 404, a static file, a redirect to HTTPS

_scrape_collectors: list = []


def scrape_collector_add(collector) -> None:
    """A collector (an object with ``collect()``) run at each scrape, in the process that answers it."""
    _scrape_collectors.append(collector)


@functools.lru_cache(maxsize=1024)
def route_label(pattern: str) -> str:
    """The URL pattern as a label: ``/api/transactions/{id}/receipt/``, never the raw path."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern).replace("^", "").replace("$", "")
    return "/" + route


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


@functools.lru_cache(maxsize=4096)  # routes x methods x statuses: a bounded set, met again and again
def _request_series(route: str, method: str, status: int):
    return HTTP_REQUESTS.labels(route, method, str(status)), HTTP_REQUEST_DURATION.labels(route, method)


def request_observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration (each label set's series looked up once)."""
    requests, duration = _request_series(route, method_label(method), status)
    requests.inc()
    duration.observe(seconds)


class BacklogCollector:
    """An outbox's backlog as gauges, read from the database when Prometheus scrapes.

    ``wallet_<family>_backlog_up`` and ``wallet_<things>_owed``, ``..._oldest_owed_age_seconds``
    and ``..._failed`` with the ``help`` texts given (keys ``owed``, ``age``, ``failed``), from
    ``read()``: one query giving ``(owed, the oldest owed one's time or None, failed)``. When
    the database does not answer, the gauges are left out and the ``_up`` gauge is 0, so an
    alert on the backlog is not silently satisfied by a missing series.
    """

    def __init__(self, *, family: str, things: str, help: dict[str, str], read):
        self.family, self.things, self.help, self.read = family, things, help, read

    def collect(self):
        from django.db import DatabaseError
        from django.utils import timezone
        from prometheus_client.core import GaugeMetricFamily

        what = self.family.replace("_", " ")
        up = GaugeMetricFamily(f"wallet_{self.family}_backlog_up",
                               f"1 when the {what} backlog was read for this scrape, else 0.")
        try:
            owed, oldest_owed_at, failed = self.read()
        except DatabaseError:
            logger.exception("metrics: the %s backlog could not be read", what)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        age = 0.0 if oldest_owed_at is None else max(0.0, (timezone.now() - oldest_owed_at).total_seconds())
        for name, help_key, value in (("owed", "owed", owed), ("oldest_owed_age_seconds", "age", age),
                                      ("failed", "failed", failed)):
            yield GaugeMetricFamily(f"wallet_{self.things}_{name}", self.help[help_key], value=value)


class _Scrape:
    """What one scrape reads: the process's (or all processes') metrics, then the database's."""

    def __init__(self, base):
        self.base = base

    def collect(self):
        yield from self.base.collect()
        for collector in _scrape_collectors:
            yield from collector.collect()


def metrics_text() -> bytes:
    """The exposition text of every metric, in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    return generate_latest(_Scrape(base))
