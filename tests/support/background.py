"""Real Celery worker and beat processes for end-to-end tests, on the test database and Redis.

Each test starts its own processes, pointed at the same test database and a
media directory of its own. Redis must be running: under CI (``CI`` set) an
unreachable Redis fails the run instead of skipping. ``RECEIPTS_E2E_REDIS_URL``
picks the Redis database (default 1). The fixtures (``redis_broker``,
``background``) are in ``tests/conftest.py``.
"""
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

REDIS_URL = os.environ.get("RECEIPTS_E2E_REDIS_URL", "redis://127.0.0.1:6379/1")
BASE_DIR = Path(settings.BASE_DIR)


def database_url() -> str:
    db = connection.settings_dict  # the test database, once django_db_setup has run
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):  # the embedded server's Unix socket folder
        return f"postgres://{auth}@/{db['NAME']}?host={quote(host)}"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Background:
    """Worker and beat processes of one test; every one is killed when the test ends."""

    def __init__(self, media: Path, logs: Path):
        self.media, self.logs, self.procs = media, logs, []

    def env(self, broker_url: str, **extra) -> dict:
        return {**os.environ, "CELERY_BROKER_URL": broker_url, "DATABASE_URL": database_url(),
                "MEDIA_ROOT": str(self.media), "DEBUG": "true", "CONN_MAX_AGE": "0",
                "RECEIPT_RELAY_INTERVAL": "0.5", **extra}

    def start(self, kind: str, broker_url: str, **extra) -> subprocess.Popen:
        log_path = self.logs / f"{kind}-{len(self.procs)}.log"
        if kind == "worker":
            args = ["worker", "-l", "info", "--concurrency", "1", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "-n", f"e2e-{uuid.uuid4().hex[:8]}@%h"]
        else:
            args = ["beat", "-l", "info", "--schedule", str(self.logs / f"beat-{len(self.procs)}")]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args], cwd=BASE_DIR,
                                    env=self.env(broker_url, **extra), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        proc.log_path = log_path
        self.procs.append(proc)
        if kind == "worker":
            started = time.monotonic()
            while b" ready." not in log_path.read_bytes():
                if proc.poll() is not None or time.monotonic() - started > 60:
                    pytest.fail(f"The worker did not start:\n{self.log_tail()}")
                time.sleep(0.2)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """SIGKILL the process and its pool children: no shutdown, no cleanup."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def log_tail(self) -> str:
        return "\n".join(f"--- {p.log_path.name}\n{p.log_path.read_text(errors='replace')[-2000:]}"
                         for p in self.procs)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


def redis_broker_url() -> str:
    """``REDIS_URL`` when Redis answers; a skip (a failure under CI) when it does not."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL
