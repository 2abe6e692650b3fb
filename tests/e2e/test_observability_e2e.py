"""End to end: one request id from the HTTP request to the worker's receipt line, and /metrics
adding up every gunicorn worker's counts."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from apps.receipts.models import Receipt
from apps.transactions.models import Transaction
from apps.wallets.services import deposit_create
from tests.support.background import REDIS_URL, database_url
from tests.support.factories import access_token_for
from tests.support.log_capture import captured_logs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DEADLINE = 60


def _post(url: str, body: dict, token: str, request_id: str | None = None) -> tuple[int, dict, dict]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if request_id:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_transfer_s_request_id_reaches_the_worker_s_receipt_line(live_server, make_user, background):
    worker = background.start("worker", REDIS_URL)
    background.start("beat", REDIS_URL)
    sender, receiver = make_user(balance="20.00"), make_user()
    with captured_logs() as web_logs:
        status, body, headers = _post(f"{live_server.url}/api/wallet/transfer/",
                                      {"receiver_id": receiver.pk, "amount": "3.00"},
                                      access_token_for(sender), request_id="dispute-e2e-1")
    assert status == 201 and headers["X-Request-ID"] == "dispute-e2e-1"
    txn_id = body["transaction"]["id"]
    assert Transaction.objects.get(pk=txn_id).request_id == "dispute-e2e-1"
    [web_line] = web_logs.requests()
    assert (web_line["request_id"], web_line["transaction_id"]) == ("dispute-e2e-1", txn_id)

    deadline = time.monotonic() + DEADLINE
    while not Receipt.objects.filter(pk=txn_id, status="ready").exists():
        assert time.monotonic() < deadline, background.log_tail()
        time.sleep(0.2)
    time.sleep(0.5)  # the line is written right after the commit that marks it ready
    worker_lines = _json_lines(worker.log_path.read_text())
    assert worker_lines, "the worker logs JSON lines"
    [receipt_line] = [line for line in worker_lines if line.get("transaction_id") == txn_id]
    assert receipt_line["request_id"] == "dispute-e2e-1" and receipt_line["kind"] == "transfer"
    assert receipt_line["logger"] == "apps.receipts.services" and receipt_line["level"] == "INFO"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn with 3 sync workers (config/gunicorn.py) on the test database, METRICS_TOKEN set."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "METRICS_TOKEN": "scrape-token-e2e",
           "WEB_CONCURRENCY": "3", "CONN_MAX_AGE": "0", "THROTTLE_MONEY_RATE": "100000/min",
           "MEDIA_ROOT": str(tmp_path / "media")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
                                 "config.wsgi", "--bind", f"127.0.0.1:{port}"], cwd=settings.BASE_DIR,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
    yield url, log_path
    proc.terminate()
    proc.wait(timeout=30)


def _scrape(url: str, token: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}/metrics", headers=headers),
                                    timeout=10) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    return 200, {(s.name, tuple(sorted(s.labels.items()))): s.value
                 for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_add_up_every_gunicorn_worker_and_need_the_token(gunicorn, make_user):
    url, log_path = gunicorn
    sender, receiver = make_user(), make_user()
    deposit_create(user_id=sender.pk, amount=Decimal("100.00"))
    assert _scrape(url, None)[0] == 404 and _scrape(url, "wrong")[0] == 404
    completed = ("wallet_money_movements_total", (("kind", "transfer"), ("outcome", "completed")))
    created = ("wallet_http_requests_total",
               (("method", "POST"), ("route", "/api/wallet/transfer/"), ("status", "201")))
    before = _scrape(url, "scrape-token-e2e")[1]
    token, body = access_token_for(sender), {"receiver_id": receiver.pk, "amount": "1.00"}
    for _ in range(12):  # spread over the workers by the kernel's accept queue
        assert _post(f"{url}/api/wallet/transfer/", body, token)[0] == 201
    # Whichever worker answers the scrape, it reports the sum of all of them.
    for _ in range(5):
        status, after = _scrape(url, "scrape-token-e2e")
        assert status == 200
        assert after.get(completed, 0) - before.get(completed, 0) == 12
        assert after.get(created, 0) - before.get(created, 0) == 12
    # gunicorn's own lines and the service's request lines, all JSON.
    lines = _json_lines(log_path.read_text())
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert sum(line["logger"] == "apps.request" and line["route"] == "/api/wallet/transfer/"
               for line in lines) == 12
    assert not any(line["logger"] == "gunicorn.access" for line in lines)  # no second access line
