"""Receipts: rendering, the idempotent task, scheduling on commit, the sweep, the download."""
import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.transactions.exceptions import ReceiptPending
from apps.transactions.models import Receipt, Transaction
from apps.transactions.receipts import receipt_number
from apps.transactions.services import receipt_generate, receipts_sweep
from apps.transactions.tasks import RECEIPT_MAX_RETRIES, receipt_generate_task
from apps.wallets.services import deposit_create, transfer_create
from tests.celery_helpers import broker, drain_receipt_ids
from tests.conftest import balance_of

DOWN_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def receipt_url(txn_id: int, query: str = "") -> str:
    return f"/api/transactions/{txn_id}/receipt/{query}"


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def pair(make_user):
    alice = make_user(username="alice", balance="100.00")
    bob = make_user(username="bob")
    return alice, bob


@pytest.fixture
def transfer(pair):
    alice, bob = pair
    return transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("12.34")).transaction


# --- rendering and the task -------------------------------------------------

@pytest.mark.django_db
def test_receipt_files_hold_every_detail(transfer, pair, settings):
    alice, bob = pair
    receipt = receipt_generate(transaction_id=transfer.pk)

    number = receipt_number(transaction_id=transfer.pk, created_at=transfer.created_at)
    assert number == f"R-{transfer.created_at:%Y%m%d}-{transfer.pk:010d}"
    ym = f"{transfer.created_at:%Y/%m}"
    assert receipt.status == "ready" and receipt.generated_at is not None
    assert (receipt.pdf_path, receipt.txt_path) == (f"receipts/{ym}/{transfer.pk}.pdf",
                                                    f"receipts/{ym}/{transfer.pk}.txt")
    text = (Path(settings.MEDIA_ROOT) / receipt.txt_path).read_text()
    for expected in (number, f"Transaction id:  {transfer.pk}", "Kind:            transfer",
                     f"alice (user id {alice.pk})", f"bob (user id {bob.pk})", "12.34",
                     f"{transfer.created_at:%Y-%m-%d %H:%M:%S} UTC"):
        assert expected in text
    pdf = (Path(settings.MEDIA_ROOT) / receipt.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert number.encode() in pdf and b"(alice \\(user id" in pdf and b"(12.34)" in pdf


@pytest.mark.django_db
def test_deposit_receipt_has_no_sender(pair, settings):
    alice, _ = pair
    deposit = Transaction.objects.filter(receiver=alice, kind="deposit").get()
    receipt = receipt_generate(transaction_id=deposit.pk)
    text = (Path(settings.MEDIA_ROOT) / receipt.txt_path).read_text()
    assert "Kind:            deposit" in text and "Sender:          (deposit" in text


@pytest.mark.django_db
def test_task_run_twice_leaves_one_receipt_and_one_file_each(transfer, settings):
    receipt_generate_task(transfer.pk)
    first = Receipt.objects.get(pk=transfer.pk)
    pdf_before = (Path(settings.MEDIA_ROOT) / first.pdf_path).read_bytes()
    receipt_generate_task(transfer.pk)

    assert Receipt.objects.filter(pk=transfer.pk).count() == 1
    again = Receipt.objects.get(pk=transfer.pk)
    assert again.status == "ready" and again.attempts == 1 and again.generated_at == first.generated_at
    assert media_files(settings) == [first.pdf_path, first.txt_path]
    assert (Path(settings.MEDIA_ROOT) / first.pdf_path).read_bytes() == pdf_before


@pytest.mark.django_db
def test_rerun_after_a_crash_overwrites_without_a_second_file(transfer, settings):
    """A worker died after writing the files but before marking the receipt ready."""
    receipt_generate(transaction_id=transfer.pk)
    Receipt.objects.filter(pk=transfer.pk).update(status="pending")
    receipt_generate(transaction_id=transfer.pk)
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "ready"
    assert media_files(settings) == [receipt.pdf_path, receipt.txt_path]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_leave_one_receipt(make_user, settings):
    sender, receiver = make_user(balance="10.00"), make_user()
    txn = transfer_create(sender_id=sender.pk, receiver_id=receiver.pk, amount=Decimal("1.00")).transaction
    Receipt.objects.all().delete()
    barrier, errors = threading.Barrier(2), []

    def work():
        try:
            barrier.wait(timeout=10)
            receipt_generate_task(txn.pk)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    receipt = Receipt.objects.get(pk=txn.pk)
    assert receipt.status == "ready" and receipt.attempts == 1
    assert [p for p in media_files(settings) if f"/{txn.pk}." in p] == [receipt.pdf_path, receipt.txt_path]


@pytest.mark.django_db
def test_storage_failure_retries_then_marks_failed(transfer, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # every write fails with an OSError
    result = receipt_generate_task.apply(args=(transfer.pk,))  # eager: the retries run inline
    assert result.state == "FAILURE" and isinstance(result.result, OSError)
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "failed"
    assert receipt.attempts == RECEIPT_MAX_RETRIES + 1
    assert "Error" in receipt.last_error
    # The sweep picks a failed receipt up again once it is old enough.
    assert receipts_sweep(older_than=timedelta(hours=1)) == (0, 0)
    Receipt.objects.filter(pk=transfer.pk).update(updated_at=receipt.updated_at - timedelta(hours=2))
    drain_receipt_ids()
    assert receipts_sweep(older_than=timedelta(hours=1)) == (1, 1)
    assert drain_receipt_ids() == [transfer.pk]


# --- scheduling on commit ------------------------------------------------

@pytest.mark.django_db
def test_committed_transfer_enqueues_its_receipt(pair, client_for, django_capture_on_commit_callbacks):
    alice, bob = pair
    drain_receipt_ids()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(alice).post("/api/wallet/transfer/",
                                          {"receiver_id": bob.pk, "amount": "5.00"}, format="json")
    assert response.status_code == 201
    assert len(callbacks) == 1
    assert drain_receipt_ids() == [response.data["transaction"]["id"]]
    assert not Receipt.objects.exists()  # the transfer itself inserts no receipt row


@pytest.mark.django_db
def test_deposit_enqueues_its_receipt(pair, django_capture_on_commit_callbacks):
    drain_receipt_ids()
    with django_capture_on_commit_callbacks(execute=True):
        txn = deposit_create(user_id=pair[1].pk, amount=Decimal("3.00")).transaction
    assert drain_receipt_ids() == [txn.pk]


@pytest.mark.django_db
def test_rolled_back_transfer_schedules_nothing(pair, client_for, django_capture_on_commit_callbacks):
    alice, bob = pair
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
            raise RuntimeError("the surrounding work failed")
        refused = client_for(alice).post("/api/wallet/transfer/",
                                         {"receiver_id": bob.pk, "amount": "1000.00"}, format="json")
    assert refused.status_code == 400
    assert callbacks == []
    assert balance_of(alice) == Decimal("100.00")


# --- the broker down, and the sweep ---------------------------------------

@pytest.mark.django_db(transaction=True)
def test_broker_down_transfer_succeeds_then_sweep_produces_receipt(make_user, client_for, caplog, settings):
    alice, bob = make_user(balance="50.00"), make_user()
    with broker(DOWN_BROKER), caplog.at_level(logging.ERROR, logger="apps.transactions.services"):
        started = time.monotonic()
        response = client_for(alice).post("/api/wallet/transfer/",
                                          {"receiver_id": bob.pk, "amount": "20.00"}, format="json")
        elapsed = time.monotonic() - started
    assert response.status_code == 201, response.data
    assert elapsed < 2.0
    txn_id = response.data["transaction"]["id"]
    assert balance_of(alice) == Decimal("30.00") and balance_of(bob) == Decimal("20.00")
    assert Transaction.objects.filter(pk=txn_id).exists()
    assert any(f"receipt of transaction {txn_id}" in r.getMessage() for r in caplog.records)
    assert not Receipt.objects.filter(pk=txn_id).exists()

    # The broker is still down: the sweep reports it and fails loudly.
    with broker(DOWN_BROKER), pytest.raises(CommandError):
        call_command("sweep_receipts", "--older-than=0")
    # Too recent for the default threshold: a healthy queue may still be working on it.
    drain_receipt_ids()
    call_command("sweep_receipts")
    assert txn_id not in drain_receipt_ids()
    # Back up: the sweep enqueues it, and the task produces it.
    call_command("sweep_receipts", "--older-than=0")
    queued = drain_receipt_ids()
    assert txn_id in queued
    for queued_id in queued:
        receipt_generate_task(queued_id)
    assert Receipt.objects.get(pk=txn_id).status == "ready"
    download = client_for(bob).get(receipt_url(txn_id))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_sweep_selects_missing_stuck_and_failed_but_not_ready(make_user):
    user = make_user()
    txns = [deposit_create(user_id=user.pk, amount=Decimal(i)).transaction for i in (1, 2, 3, 4)]
    missing, stuck, failed, ready = txns
    receipt_generate(transaction_id=ready.pk)
    Receipt.objects.create(transaction=stuck, status="pending")
    Receipt.objects.create(transaction=failed, status="failed")
    old = {"created_at": missing.created_at - timedelta(hours=1)}
    Transaction.objects.filter(pk__in=[t.pk for t in txns]).update(**old)
    Receipt.objects.filter(status__in=["pending", "failed"]).update(updated_at=old["created_at"])

    drain_receipt_ids()
    assert receipts_sweep(older_than=timedelta(minutes=5)) == (3, 3)
    assert sorted(drain_receipt_ids()) == [missing.pk, stuck.pk, failed.pk]


# --- the download endpoint -------------------------------------------------

@pytest.mark.django_db
def test_parties_download_pdf_and_text(transfer, pair, client_for):
    receipt_generate(transaction_id=transfer.pk)
    number = receipt_number(transaction_id=transfer.pk, created_at=transfer.created_at)
    for user in pair:
        pdf = client_for(user).get(receipt_url(transfer.pk), HTTP_ACCEPT="application/pdf")
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert f'filename="{number}.pdf"' in pdf["Content-Disposition"]
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
        txt = client_for(user).get(receipt_url(transfer.pk, "?format=txt"))
        assert txt.status_code == 200
        assert txt["Content-Type"].startswith("text/plain")
        body = b"".join(txt.streaming_content).decode()
        assert number in body and "12.34" in body


@pytest.mark.django_db
def test_receipt_of_someone_elses_transaction_is_404(transfer, make_user, client_for):
    receipt_generate(transaction_id=transfer.pk)
    outsider = client_for(make_user())
    for url in (receipt_url(transfer.pk), receipt_url(transfer.pk, "?format=txt"), receipt_url(999999)):
        response = outsider.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_pending_receipt_is_409(transfer, pair, client_for):
    response = client_for(pair[0]).get(receipt_url(transfer.pk))
    assert response.status_code == 409
    assert response.json()["code"] == "receipt_pending"
    Receipt.objects.create(transaction=transfer, status="pending")
    assert client_for(pair[1]).get(receipt_url(transfer.pk, "?format=txt")).status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?format=docx", "?format=PDF", "?format=json", "?page=2"])
def test_bad_receipt_query_is_400(transfer, pair, client_for, query):
    receipt_generate(transaction_id=transfer.pk)
    response = client_for(pair[0]).get(receipt_url(transfer.pk, query))
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_input", "unknown_field")


@pytest.mark.django_db
def test_receipt_needs_authentication(transfer, api):
    assert api.get(receipt_url(transfer.pk)).status_code == 401


# --- a receipt lost from storage, and the bounded sweep ---------------------

PENDING_BODY = {"code": "receipt_pending", "message": ReceiptPending.message, "details": None}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "txt"])
def test_deleted_receipt_file_is_409_then_produced_again(transfer, pair, client_for, settings, fmt,
                                                         django_capture_on_commit_callbacks):
    alice, bob = pair
    ready = receipt_generate(transaction_id=transfer.pk)
    lost = ready.pdf_path if fmt == "pdf" else ready.txt_path
    original = (Path(settings.MEDIA_ROOT) / lost).read_bytes()
    default_storage.delete(lost)
    drain_receipt_ids()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).get(receipt_url(transfer.pk, f"?format={fmt}"))
    assert response.status_code == 409
    assert response.json() == PENDING_BODY
    assert drain_receipt_ids() == [transfer.pk]  # queued again, after the row change committed
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "pending" and "lost" in receipt.last_error
    history = client_for(alice).get(f"/api/transactions/{transfer.pk}/").json()
    assert history["receipt"] == {"status": "pending", "url": None}

    # Polling again answers the same and does not queue it a second time.
    with django_capture_on_commit_callbacks(execute=True):
        again = client_for(alice).get(receipt_url(transfer.pk, f"?format={fmt}"))
    assert (again.status_code, again.json()) == (409, PENDING_BODY)
    assert drain_receipt_ids() == []

    receipt_generate_task(transfer.pk)  # what the worker runs for the queued message
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "ready" and receipt.last_error == ""
    assert media_files(settings) == [receipt.pdf_path, receipt.txt_path]
    download = client_for(bob).get(receipt_url(transfer.pk, f"?format={fmt}"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == original  # deterministic: the same file
    pdf = client_for(alice).get(receipt_url(transfer.pk))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_task_produces_again_a_ready_receipt_whose_file_is_gone(transfer, settings):
    first = receipt_generate(transaction_id=transfer.pk)
    text = (Path(settings.MEDIA_ROOT) / first.txt_path).read_bytes()
    default_storage.delete(first.txt_path)
    assert Receipt.objects.get(pk=transfer.pk).status == "ready"  # the row alone says nothing is wrong

    receipt_generate_task(transfer.pk)
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "ready" and receipt.attempts == 2
    assert media_files(settings) == [receipt.pdf_path, receipt.txt_path]
    assert (Path(settings.MEDIA_ROOT) / receipt.txt_path).read_bytes() == text


@pytest.mark.django_db
def test_lost_receipt_with_broker_down_is_409_and_swept_later(transfer, pair, client_for, caplog,
                                                              django_capture_on_commit_callbacks):
    receipt = receipt_generate(transaction_id=transfer.pk)
    default_storage.delete(receipt.pdf_path)
    with (broker(DOWN_BROKER), caplog.at_level(logging.ERROR, logger="apps.transactions.services"),
          django_capture_on_commit_callbacks(execute=True) as callbacks):
        response = client_for(pair[0]).get(receipt_url(transfer.pk))
    assert (response.status_code, response.json()) == (409, PENDING_BODY)
    assert len(callbacks) == 1
    assert any(f"receipt of transaction {transfer.pk}" in r.getMessage() for r in caplog.records)
    assert Receipt.objects.get(pk=transfer.pk).status == "pending"

    # The row is pending, so the sweep enqueues it once it has made no progress for long enough.
    drain_receipt_ids()
    assert receipts_sweep(older_than=timedelta(minutes=5)) == (0, 0)
    Receipt.objects.filter(pk=transfer.pk).update(updated_at=receipt.updated_at - timedelta(hours=1))
    assert receipts_sweep(older_than=timedelta(minutes=5)) == (1, 1)
    assert drain_receipt_ids() == [transfer.pk]


@pytest.mark.django_db
def test_old_transaction_without_receipt_is_queued_by_its_download(transfer, pair, client_for, settings,
                                                                   django_capture_on_commit_callbacks):
    """Too old for the sweep window: the first download queues it, later ones do not."""
    settings.RECEIPT_SWEEP_WINDOW_DAYS = 7
    Transaction.objects.filter(pk=transfer.pk).update(created_at=transfer.created_at - timedelta(days=8))
    drain_receipt_ids()
    for user in (pair[0], pair[1]):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).get(receipt_url(transfer.pk))
        assert (response.status_code, response.json()) == (409, PENDING_BODY)
    assert drain_receipt_ids() == [transfer.pk]
    assert Receipt.objects.get(pk=transfer.pk).status == "pending"
    receipt_generate_task(transfer.pk)
    assert client_for(pair[1]).get(receipt_url(transfer.pk)).status_code == 200


@pytest.mark.django_db
def test_recent_transaction_without_receipt_is_left_to_the_queue(transfer, pair, client_for,
                                                                 django_capture_on_commit_callbacks):
    drain_receipt_ids()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(pair[0]).get(receipt_url(transfer.pk))
    assert (response.status_code, response.json()) == (409, PENDING_BODY)
    assert callbacks == [] and drain_receipt_ids() == []
    assert not Receipt.objects.filter(pk=transfer.pk).exists()


@pytest.mark.django_db
def test_sweep_looks_for_missing_receipts_only_within_the_window(make_user, settings):
    settings.RECEIPT_SWEEP_WINDOW_DAYS = 7
    user = make_user()
    now = deposit_create(user_id=user.pk, amount=Decimal("1")).transaction.created_at
    ages = {"ancient": timedelta(days=400), "outside": timedelta(days=8), "edge": timedelta(days=6),
            "recent": timedelta(hours=1), "fresh": timedelta(0)}
    txns = {}
    for name, age in ages.items():  # oldest first, as ids grow with time
        txns[name] = deposit_create(user_id=user.pk, amount=Decimal("2")).transaction
        Transaction.objects.filter(pk=txns[name].pk).update(created_at=now - age)
    others = Transaction.objects.exclude(pk__in=[t.pk for t in txns.values()])
    others.update(created_at=now - timedelta(days=500))
    # A lost receipt of an old transaction: pending rows are swept whatever the transaction's age.
    Receipt.objects.create(transaction=txns["ancient"], status="pending")
    Receipt.objects.filter(pk=txns["ancient"].pk).update(updated_at=now - timedelta(hours=1))

    drain_receipt_ids()
    assert receipts_sweep(older_than=timedelta(minutes=5)) == (3, 3)
    assert drain_receipt_ids() == [txns["edge"].pk, txns["recent"].pk, txns["ancient"].pk]

    call_command("sweep_receipts", "--older-than=60")  # the command uses the same window
    assert sorted(drain_receipt_ids()) == sorted([txns["edge"].pk, txns["recent"].pk, txns["ancient"].pk])
    call_command("sweep_receipts", "--older-than=60", "--window-days=9")
    assert txns["outside"].pk in drain_receipt_ids()
    # The limit caps a run; missing receipts come first, oldest first.
    assert receipts_sweep(older_than=timedelta(minutes=5), limit=2) == (2, 2)
    assert drain_receipt_ids() == [txns["edge"].pk, txns["recent"].pk]


@pytest.mark.django_db
def test_sweep_reads_a_bounded_id_range(make_user, settings):
    """The missing-receipt query is a primary-key range starting at the window, not a table scan."""
    settings.RECEIPT_SWEEP_WINDOW_DAYS = 7
    user = make_user()
    old = [deposit_create(user_id=user.pk, amount=Decimal("1")).transaction for _ in range(3)]
    recent = deposit_create(user_id=user.pk, amount=Decimal("1")).transaction
    Transaction.objects.filter(pk__in=[t.pk for t in old]).update(
        created_at=recent.created_at - timedelta(days=30))
    Transaction.objects.filter(pk=recent.pk).update(created_at=recent.created_at - timedelta(hours=1))
    with CaptureQueriesContext(connection) as ctx:
        receipts_sweep(older_than=timedelta(minutes=5))
    missing_query = next(q["sql"] for q in ctx.captured_queries if "IS NULL" in q["sql"])
    assert f">= {old[-1].pk + 1}" in missing_query


@pytest.mark.parametrize("option", ["--window-days=0", "--limit=0", "--older-than=-1"])
def test_sweep_command_rejects_bad_options(option):
    with pytest.raises(CommandError):
        call_command("sweep_receipts", option)


# --- receipt state in the history ------------------------------------------

@pytest.mark.django_db
def test_history_shows_receipt_state_in_one_query(pair, client_for):
    alice, bob = pair
    txns = [transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal(i)).transaction
            for i in (1, 2, 3)]
    receipt_generate(transaction_id=txns[0].pk)
    client = client_for(alice)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/transactions/")
    assert response.status_code == 200
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]
    by_id = {item["id"]: item["receipt"] for item in response.data["results"]}
    assert by_id[txns[1].pk] == {"status": "pending", "url": None}
    ready = by_id[txns[0].pk]
    assert ready["status"] == "ready"
    assert ready["url"] == f"http://testserver{receipt_url(txns[0].pk)}"
    assert client.get(ready["url"]).status_code == 200
    assert client.get(f"/api/transactions/{txns[0].pk}/").data["receipt"]["status"] == "ready"
