"""gunicorn settings: ``gunicorn -c config/gunicorn.py config.wsgi`` (``make run`` and the benchmark).

Sync workers, (2 x cores) + 1 of them, gunicorn's own recommendation
(``WEB_CONCURRENCY`` overrides). A sync worker accepts the next connection only
when it is idle, so waiting requests share one queue and are served in turn;
keep-alive and slow clients are the job of the TLS-terminating proxy in front.
Measured against threaded workers in ``BENCHMARKS.md``.

Metrics: the workers write theirs to ``PROMETHEUS_MULTIPROC_DIR`` and any of
them answers ``/metrics`` with the sum. Unset, each gunicorn gets an empty
directory of its own, removed when it exits; set (``scripts/run.sh`` shares
one with the Celery worker), it must exist and be emptied before the
processes start. Logs: gunicorn's own lines in the service's format
(``LOG_FORMAT``); the service writes one line per request, so no access log
unless ``GUNICORN_ACCESS_LOG`` asks for one.
"""
import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))
# The same .env the settings read (LOG_FORMAT, LOG_LEVEL, WEB_CONCURRENCY...), the environment first.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:  # before prometheus_client is imported anywhere (it reads this at import)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wallet-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from apps.core.logs import logging_config  # noqa: E402  (after sys.path and the metrics directory)

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
backlog = 2048
timeout = 30
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = logging_config(
    fmt=os.environ.get("LOG_FORMAT", "json").strip().lower(),
    level=os.environ.get("LOG_LEVEL", "INFO").strip().upper(),
    loggers={"gunicorn.error": {"handlers": [], "propagate": True},
             # The service's request line (logger apps.request) is the access log.
             "gunicorn.access": {"handlers": [], "propagate": True,
                                 "level": "INFO" if accesslog else "WARNING"}},
)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
