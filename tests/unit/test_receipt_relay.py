"""The receipt relay: claiming with a lease, rendering in batches, retries and the failed state."""
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.receipts.models import Receipt
from apps.receipts.rendering import receipt_number
from apps.receipts.services import receipts_claim, receipts_render, receipts_rerender, retry_backoff
from apps.receipts.tasks import receipts_relay
from apps.transactions.models import Transaction
from apps.wallets.services import deposit_create
from tests.support.receipt_helpers import media_files, produce


@pytest.mark.django_db
def test_receipt_files_hold_every_detail(transfer, alice, bob, settings):
    receipt = produce(transfer.pk)

    number = receipt_number(transaction_id=transfer.pk, created_at=transfer.created_at)
    assert number == f"R-{transfer.created_at:%Y%m%d}-{transfer.pk:010d}"
    ym = f"{transfer.created_at:%Y/%m}"
    assert receipt.status == "ready" and receipt.generated_at is not None and receipt.attempts == 1
    assert (receipt.pdf_path, receipt.txt_path) == (f"receipts/{ym}/{transfer.pk}.pdf",
                                                    f"receipts/{ym}/{transfer.pk}.txt")
    text = (Path(settings.MEDIA_ROOT) / receipt.txt_path).read_text()
    for expected in ("Issued by:       Wallet", number, "Status:          Completed",
                     f"Transaction id:  {transfer.pk}", "Kind:            Transfer",
                     f"alice (user id {alice.pk})", f"bob (user id {bob.pk})", "Amount:          12.34 USD",
                     f"{transfer.created_at:%Y-%m-%d %H:%M:%S} UTC"):
        assert expected in text
    pdf = (Path(settings.MEDIA_ROOT) / receipt.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert number.encode() in pdf and b"(alice \\(user id" in pdf and b"(12.34 USD)" in pdf


@pytest.mark.django_db
def test_deposit_receipt_has_no_sender(alice, settings):
    deposit = Transaction.objects.filter(receiver=alice, kind="deposit").get()
    receipt = produce(deposit.pk)
    text = (Path(settings.MEDIA_ROOT) / receipt.txt_path).read_text()
    assert "Kind:            Deposit" in text and "Sender:          (deposit" in text


@pytest.mark.django_db
def test_relay_renders_every_due_receipt_once(alice, bob, settings):
    txns = [deposit_create(user_id=bob.pk, amount=Decimal(i)).transaction for i in (1, 2, 3)]
    assert receipts_relay() == 4  # alice's funding deposit and the three above
    assert receipts_relay() == 0  # nothing due any more: nothing rendered twice
    receipts = Receipt.objects.filter(pk__in=[t.pk for t in txns])
    assert {(r.status, r.attempts) for r in receipts} == {("ready", 1)}
    assert len(media_files(settings)) == 8


@pytest.mark.django_db
def test_a_batch_is_read_in_one_query_and_marked_ready_in_one_update(bob):
    ids = [deposit_create(user_id=bob.pk, amount=Decimal(i)).transaction.pk for i in range(1, 21)]
    claimed = receipts_claim(limit=100)
    assert sorted(claimed) == sorted(ids)
    with CaptureQueriesContext(connection) as ctx:
        outcome = receipts_render(transaction_ids=claimed)
    assert sorted(outcome.ready) == sorted(ids) and outcome.failed == {}
    statements = [q["sql"] for q in ctx.captured_queries
                  if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements


@pytest.mark.django_db
def test_claim_takes_a_lease_and_the_row_is_claimed_again_after_it(transfer, settings):
    settings.RECEIPT_LEASE_SECONDS = 30
    assert set(receipts_claim(limit=10)) == set(Receipt.objects.values_list("pk", flat=True))
    # Claimed, not rendered (its worker died): invisible until the lease ends.
    assert receipts_claim(limit=10) == []
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "pending" and receipt.attempts == 1
    assert receipt.due_at > timezone.now() + timedelta(seconds=25)
    Receipt.objects.update(due_at=timezone.now() - timedelta(seconds=1))  # the lease ended
    assert transfer.pk in receipts_claim(limit=10)
    assert Receipt.objects.get(pk=transfer.pk).attempts == 2


@pytest.mark.django_db
def test_rerender_after_a_crash_overwrites_without_a_second_file(transfer, settings):
    """A worker died after writing the files but before marking the receipt ready."""
    first = produce(transfer.pk)
    pdf = (Path(settings.MEDIA_ROOT) / first.pdf_path).read_bytes()
    Receipt.objects.filter(pk=transfer.pk).update(status="pending", due_at=timezone.now())
    again = produce(transfer.pk)
    assert again.status == "ready" and again.attempts == 2
    assert [p for p in media_files(settings) if f"/{transfer.pk}." in p] == [first.pdf_path, first.txt_path]
    assert (Path(settings.MEDIA_ROOT) / first.pdf_path).read_bytes() == pdf


@pytest.mark.django_db
def test_storage_failure_backs_off_then_ends_failed(transfer, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # every write fails with an OSError
    settings.RECEIPT_MAX_ATTEMPTS = 3
    for attempt in (1, 2):
        receipts_relay()
        receipt = Receipt.objects.get(pk=transfer.pk)
        assert (receipt.status, receipt.attempts) == ("pending", attempt)
        assert "Error" in receipt.last_error
        wait = receipt.due_at - timezone.now()
        assert retry_backoff(attempt) - timedelta(seconds=2) < wait <= retry_backoff(attempt)
        assert receipts_relay() == 0  # not due before the backoff ends
        Receipt.objects.update(due_at=timezone.now())
    receipts_relay()
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert (receipt.status, receipt.attempts) == ("failed", 3)
    assert receipts_claim(limit=10) == []  # a failed receipt is never claimed again by itself


@pytest.mark.django_db
def test_a_receipt_whose_worker_keeps_dying_ends_failed(transfer, settings):
    settings.RECEIPT_MAX_ATTEMPTS = 2
    for _ in range(2):
        assert transfer.pk in receipts_claim(limit=10)
        Receipt.objects.update(due_at=timezone.now() - timedelta(seconds=1))  # lease over, no render
    assert transfer.pk not in receipts_claim(limit=10)
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "failed" and "Gave up after 2 attempts" in receipt.last_error


def test_backoff_doubles_up_to_ten_minutes():
    assert [retry_backoff(n).total_seconds() for n in (1, 2, 3, 4, 8, 20)] == [5, 10, 20, 40, 600, 600]


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_take_disjoint_batches(make_user, settings):
    user = make_user()
    ids = {deposit_create(user_id=user.pk, amount=Decimal("1.00")).transaction.pk for _ in range(60)}
    barrier, claims, errors = threading.Barrier(4), [], []

    def work():
        try:
            barrier.wait(timeout=10)
            while batch := receipts_claim(limit=7):
                claims.append(batch)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    claimed = [pk for batch in claims for pk in batch]
    assert sorted(claimed) == sorted(ids)  # every receipt claimed, none twice
    assert set(Receipt.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_second_claimer_skips_rows_another_claim_holds_instead_of_waiting(make_user):
    """While one claim's transaction is open, a second claimer takes the other due rows at once."""
    user = make_user()
    ids = {deposit_create(user_id=user.pk, amount=Decimal("1.00")).transaction.pk for _ in range(6)}
    first_claimed, release = threading.Event(), threading.Event()
    first, second, errors = [], [], []

    def hold_a_claim_open():
        try:
            with transaction.atomic():  # the claim's row locks last until this block ends
                first.extend(receipts_claim(limit=3))
                first_claimed.set()
                release.wait(timeout=30)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    def claim_meanwhile():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")  # waiting on the first claim fails, not hangs
            second.extend(receipts_claim(limit=10))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a_claim_open)
    holder.start()
    assert first_claimed.wait(timeout=10)
    claimer = threading.Thread(target=claim_meanwhile)
    claimer.start()
    claimer.join(timeout=10)
    finished_while_held = not claimer.is_alive()
    release.set()
    holder.join(timeout=10)
    claimer.join(timeout=10)
    assert errors == []
    assert finished_while_held, "the second claim waited for the first one's transaction"
    assert len(first) == 3 and set(first) | set(second) == ids and not set(first) & set(second)


@pytest.mark.django_db
def test_a_batch_marks_ready_only_rows_still_owed(transfer, settings):
    """A row that left ``pending`` while its batch rendered (given up on meanwhile) keeps that state."""
    assert transfer.pk in receipts_claim(limit=10)
    Receipt.objects.filter(pk=transfer.pk).update(status=Receipt.Status.FAILED, last_error="given up")
    outcome = receipts_render(transaction_ids=[transfer.pk])
    assert Receipt.objects.get(pk=transfer.pk).status == Receipt.Status.FAILED
    assert outcome.ready == [transfer.pk]  # its files were written; only the row's state is not overwritten


@pytest.mark.django_db
def test_asking_again_for_a_receipt_already_owed_keeps_its_attempts_and_due_time(transfer):
    """Polling a lost receipt re-requests it; a request that finds it already owed changes nothing."""
    receipts_claim(limit=10)
    receipts_claim_time = Receipt.objects.get(pk=transfer.pk).due_at
    assert receipts_rerender(transaction_ids=[transfer.pk], reason="asked again") == 0
    row = Receipt.objects.get(pk=transfer.pk)
    assert (row.status, row.attempts, row.due_at, row.last_error) == (
        Receipt.Status.PENDING, 1, receipts_claim_time, "")
