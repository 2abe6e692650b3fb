"""End to end: real Celery worker and beat processes on real Redis produce the receipts.

The processes come from ``tests/background.py`` (one set per test, on the test
database, killed when the test ends).
"""
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from apps.receipts.models import Receipt
from apps.wallets.services import deposit_create
from tests.support.background import REDIS_URL, Background
from tests.support.broker_proxy import BrokerProxy
from tests.support.celery_helpers import broker
from tests.support.factories import access_token_for, deposits_in_bulk
from tests.support.http import post_json

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEADLINE = 60  # seconds for the receipts of a test to become ready


def _get(url: str, token: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def _wait_all_ready(ids: list[int], background: Background) -> None:
    deadline = time.monotonic() + DEADLINE
    while Receipt.objects.filter(pk__in=ids, status="ready").count() < len(ids):
        if time.monotonic() > deadline:
            states = dict(Receipt.objects.filter(pk__in=ids).values_list("status").annotate())
            pytest.fail(f"Receipts not ready within {DEADLINE}s ({states}):\n{background.log_tail()}")
        time.sleep(0.2)


def _owed_backlog(count: int, make_user) -> list[int]:
    user = make_user()
    return [deposit_create(user_id=user.pk, amount=Decimal("1.00")).transaction.pk for _ in range(count)]


def _files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_transfer_receipt_is_produced_by_worker_and_beat(live_server, make_user, background):
    background.start("worker", REDIS_URL)
    background.start("beat", REDIS_URL)
    sender, receiver = make_user(balance="100.00"), make_user()
    status, body = post_json(f"{live_server.url}/api/wallet/transfer/",
                             {"receiver_id": receiver.pk, "amount": "7.25"}, access_token_for(sender))
    assert status == 201, body
    txn_id = body["transaction"]["id"]
    _wait_all_ready([txn_id], background)

    url = f"{live_server.url}/api/transactions/{txn_id}/receipt/"
    status, pdf, content_type = _get(url, access_token_for(receiver))
    assert (status, content_type) == (200, "application/pdf") and pdf.startswith(b"%PDF")
    status, text, _ = _get(url + "?format=txt", access_token_for(sender))
    assert status == 200 and b"7.25" in text and str(txn_id).encode() in text
    receipt = Receipt.objects.get(pk=txn_id)
    assert receipt.status == "ready" and receipt.attempts == 1
    assert (background.media / receipt.pdf_path).read_bytes() == pdf


def test_broker_outage_never_delays_a_transfer_and_receipts_follow_its_end(live_server, make_user,
                                                                           background):
    proxy = BrokerProxy(target=(urlsplit(REDIS_URL).hostname, urlsplit(REDIS_URL).port or 6379))
    db = int(urlsplit(REDIS_URL).path.strip("/") or 0)
    try:
        background.start("worker", proxy.url(db))
        background.start("beat", proxy.url(db))
        sender, receiver = make_user(balance="100.00"), make_user()
        transfer_url = f"{live_server.url}/api/wallet/transfer/"
        token = access_token_for(sender)

        proxy.blackhole()  # the workers' and beat's broker now accepts and never answers
        ids = []
        for web_broker in ("redis://127.0.0.1:1/0", proxy.url(db)):  # refused, then black-holed
            with broker(web_broker):
                for _ in range(3):
                    started = time.monotonic()
                    status, body = post_json(transfer_url, {"receiver_id": receiver.pk, "amount": "1.00"},
                                             token)
                    assert status == 201, body
                    assert time.monotonic() - started < 1.0
                    ids.append(body["transaction"]["id"])
        time.sleep(2)
        assert not Receipt.objects.filter(pk__in=ids, status="ready").exists()  # nothing reaches a worker

        proxy.forward()  # the outage ends; no command is run
        _wait_all_ready(ids, background)
        assert set(Receipt.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    finally:
        proxy.close()


def test_two_workers_share_a_backlog_and_render_each_receipt_once(make_user, background):
    ids = _owed_backlog(200, make_user)
    for _ in range(2):
        background.start("worker", REDIS_URL, RECEIPT_BATCH_SIZE="20")
    background.start("beat", REDIS_URL)
    _wait_all_ready(ids, background)
    # Each claim counts an attempt: one attempt each means each receipt was rendered exactly once.
    assert set(Receipt.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    assert len(_files(background.media)) == 2 * len(ids)
    logs = [p.log_path.read_text() for p in background.procs[:2]]
    assert all("receipts_relay" in log for log in logs), "both workers took relay ticks"


def _owed_in_bulk(count: int, make_user) -> list[int]:
    """``count`` committed deposits owing their receipts, written in bulk (fast to set up)."""
    txns = deposits_in_bulk(make_user(), count)
    Receipt.objects.bulk_create(Receipt(transaction=txn, due_at=txn.created_at) for txn in txns)
    return [txn.pk for txn in txns]


def test_worker_killed_mid_batch_leaves_its_receipts_to_the_next_after_the_lease(make_user, background):
    ids = _owed_in_bulk(1500, make_user)
    # A batch of 1,000 takes the worker well over a second: it is killed while it renders one.
    lease = {"RECEIPT_LEASE_SECONDS": "3", "RECEIPT_BATCH_SIZE": "1000"}
    victim = background.start("worker", REDIS_URL, **lease)
    background.start("beat", REDIS_URL, **lease)
    deadline = time.monotonic() + DEADLINE
    while not Receipt.objects.filter(pk__in=ids, status="pending", attempts=1).exists():  # claimed
        assert time.monotonic() < deadline, background.log_tail()
        time.sleep(0.01)
    time.sleep(0.2)  # some of the batch's files are written
    background.kill(victim)
    stranded = list(Receipt.objects.filter(pk__in=ids, status="pending", attempts=1)
                    .values_list("pk", flat=True))
    assert stranded, "the killed worker held a claimed batch"

    background.start("worker", REDIS_URL, **lease)
    _wait_all_ready(ids, background)
    assert set(Receipt.objects.filter(pk__in=stranded).values_list("attempts", flat=True)) == {2}
    files = _files(background.media)
    assert len(files) == 2 * len(ids) and len(set(files)) == len(files)  # no duplicate, no suffixed copy
    expected = {p for r in Receipt.objects.filter(pk__in=ids) for p in (r.pdf_path, r.txt_path)}
    assert set(files) == expected
