"""Health answers for a load balancer or an orchestrator.

Liveness (``GET /healthz``) says the process answers HTTP: no I/O, so a slow
database or broker never gets a healthy process restarted. Readiness
(``GET /readyz``) says the process can do its work: the database answers
through whatever sits in front of it (PgBouncer when ``DATABASE_POOLER`` is
set) and the task broker accepts connections.
"""
import logging
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

OK, DOWN, NOT_CONFIGURED = "ok", "down", "not_configured"
BROKER_TIMEOUT_SECONDS = 1.0


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return DOWN
    return OK


def broker_status() -> str:
    """Reach ``CELERY_BROKER_URL`` with a short timeout; ``not_configured`` when unset."""
    url = getattr(settings, "CELERY_BROKER_URL", None)
    if not url:
        return NOT_CONFIGURED
    scheme = urlsplit(url).scheme
    try:
        if scheme in ("redis", "rediss"):
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
                                          socket_timeout=BROKER_TIMEOUT_SECONDS)
            try:
                client.ping()
            finally:
                client.close()
        elif scheme == "filesystem":
            options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
            folders = [options.get(name) for name in ("data_folder_in", "data_folder_out")]
            if not all(folder and Path(folder).is_dir() for folder in folders):
                return DOWN
        else:
            from kombu import Connection

            with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                       timeout=BROKER_TIMEOUT_SECONDS)
    except Exception:  # any failure to reach the broker means it is down
        logger.exception("health check: broker unreachable")
        return DOWN
    return OK


def liveness_report() -> dict:
    """The process is up and serving requests; touches neither the database nor the broker."""
    return {"status": OK}


def readiness_report() -> dict:
    """Each dependency's state; ``status`` is ``unavailable`` when any of them is down."""
    report = {"database": database_status(), "broker": broker_status()}
    report["status"] = "ok" if DOWN not in report.values() else "unavailable"
    return report
