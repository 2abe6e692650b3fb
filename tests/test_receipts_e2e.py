"""End to end: a real Celery worker process on real Redis produces the receipts.

The worker is started once for the module, pointed at the same test database
and the same media directory as the live test server. Redis must be running:
under CI (``CI`` set) an unreachable Redis fails the run instead of skipping.
``RECEIPTS_E2E_REDIS_URL`` picks the Redis database (default 1).
"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.transactions.models import Receipt
from tests.celery_helpers import broker
from tests.conftest import access_token_for
from tests.http import post_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("RECEIPTS_E2E_REDIS_URL", "redis://127.0.0.1:6379/1")
DEADLINE = 30  # seconds for a receipt to become downloadable
BASE_DIR = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict  # the test database, once django_db_setup has run
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}?timeout=30&transaction_mode=IMMEDIATE"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def redis_broker():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    client.delete("celery", "unacked", "unacked_index")  # leftovers of an interrupted run
    return REDIS_URL


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_broker, tmp_path_factory):
    """A real ``celery -A config worker`` process; stopped when the module ends."""
    media = tmp_path_factory.mktemp("e2e-media")
    log_path = tmp_path_factory.mktemp("e2e-worker") / "worker.log"
    env = {**os.environ, "CELERY_BROKER_URL": redis_broker, "DATABASE_URL": _database_url(),
           "MEDIA_ROOT": str(media), "DEBUG": "true", "CONN_MAX_AGE": "0"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info",
             "--concurrency", "2", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"e2e-{uuid.uuid4().hex[:8]}@%h"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        while b" ready." not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() - started > 60:
                pytest.fail(f"The worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield media, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(url: str, token: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def _download_within_deadline(url: str, token: str, log_path: Path) -> tuple[bytes, str]:
    deadline = time.monotonic() + DEADLINE
    while True:
        status, body, content_type = _get(url, token)
        if status == 200:
            return body, content_type
        assert status == 409 and json.loads(body)["code"] == "receipt_pending", (status, body)
        if time.monotonic() > deadline:
            pytest.fail(f"No receipt within {DEADLINE}s. Worker log:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.25)


@pytest.fixture
def parties(make_user, settings, worker):
    settings.MEDIA_ROOT = worker[0]  # the live server serves what the worker wrote
    return make_user(balance="100.00"), make_user()


def test_transfer_receipt_is_produced_by_the_worker(live_server, parties, worker):
    media, log_path = worker
    sender, receiver = parties
    with broker(REDIS_URL):
        status, body = post_json(f"{live_server.url}/api/wallet/transfer/",
                                 {"receiver_id": receiver.pk, "amount": "7.25"}, access_token_for(sender))
    assert status == 201, body
    txn_id = body["transaction"]["id"]

    url = f"{live_server.url}/api/transactions/{txn_id}/receipt/"
    pdf, content_type = _download_within_deadline(url, access_token_for(receiver), log_path)
    assert content_type == "application/pdf" and pdf.startswith(b"%PDF")
    text, _ = _download_within_deadline(url + "?format=txt", access_token_for(sender), log_path)
    assert b"7.25" in text and str(txn_id).encode() in text

    receipt = Receipt.objects.get(pk=txn_id)
    assert receipt.status == "ready" and receipt.attempts == 1
    assert (media / receipt.pdf_path).read_bytes() == pdf
    assert (media / receipt.txt_path).read_bytes() == text


def test_broker_down_at_commit_then_the_sweep_gets_the_receipt_produced(live_server, parties, worker):
    media, log_path = worker
    sender, receiver = parties
    with broker("redis://127.0.0.1:1/0"):  # nothing listens there
        status, body = post_json(f"{live_server.url}/api/wallet/transfer/",
                                 {"receiver_id": receiver.pk, "amount": "3.00"}, access_token_for(sender))
    assert status == 201, body
    txn_id = body["transaction"]["id"]
    url = f"{live_server.url}/api/transactions/{txn_id}/receipt/"
    time.sleep(1)
    assert _get(url, access_token_for(sender))[0] == 409  # nothing was enqueued

    with broker(REDIS_URL):
        call_command("sweep_receipts", "--older-than=0")
    pdf, _ = _download_within_deadline(url, access_token_for(sender), log_path)
    assert pdf.startswith(b"%PDF")
    assert (media / Receipt.objects.get(pk=txn_id).pdf_path).is_file()
