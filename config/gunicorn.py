"""gunicorn settings: ``gunicorn -c config/gunicorn.py config.wsgi`` (``make run`` and the benchmark).

Sync workers, (2 x cores) + 1 of them, gunicorn's own recommendation
(``WEB_CONCURRENCY`` overrides). A sync worker accepts the next connection only
when it is idle, so waiting requests share one queue and are served in turn;
keep-alive and slow clients are the job of the TLS-terminating proxy in front.
Measured against threaded workers in ``BENCHMARKS.md``.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
backlog = 2048
timeout = 30
graceful_timeout = 20
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
