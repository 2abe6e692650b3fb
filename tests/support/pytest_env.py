"""Loaded with ``-p`` before Django is configured: tests need no ``.env``."""
import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
# The test client and the live test server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

# Tasks published by the tests go to an in-process broker, whatever .env says;
# the end-to-end receipt tests point a real worker and the app at real Redis.
os.environ["CELERY_BROKER_URL"] = "memory://localhost/"

# Without DATABASE_URL the tests run on a private embedded PostgreSQL of their own, never on
# the one `make run` keeps its data in.
ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("EMBEDDED_DATABASE_DIR", str(ROOT / "var" / "postgres-test"))
_EMBEDDED = None if os.environ.get("DATABASE_URL") else Path(os.environ["EMBEDDED_DATABASE_DIR"])
_EMBEDDED_WAS_RUNNING = _EMBEDDED is not None and (_EMBEDDED / "postmaster.pid").exists()


def pytest_unconfigure(config):
    """Stop the embedded test server if this run started it (the settings start it on demand)."""
    if _EMBEDDED is not None and not _EMBEDDED_WAS_RUNNING:
        from config.embedded_postgres import stop

        stop(_EMBEDDED)
