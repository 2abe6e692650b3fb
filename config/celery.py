"""The Celery app: configured from Django settings (``CELERY_*``), tasks autodiscovered.

The worker and beat log as the web processes do (``settings.LOGGING``: JSON
lines, ``LOG_FORMAT``; the level is the command's ``-l``), not in Celery's own format; a worker's
pool processes leave the shared metrics directory when they exit.
"""
import logging.config
import os

from celery import Celery
from celery.signals import setup_logging, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_as_the_web_processes_do(loglevel=None, **kwargs):
    """The settings' LOGGING, at the level of the command's ``--loglevel`` (``-l``) as before."""
    from django.conf import settings

    config = settings.LOGGING
    if loglevel:
        config = {**config, "root": {**config["root"], "level": loglevel}}
    logging.config.dictConfig(config)


@worker_process_shutdown.connect
def _metrics_process_exited(pid=None, **kwargs):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
