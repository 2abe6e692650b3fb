"""The money path owes a receipt in its own transaction and never talks to the broker."""
import time
from decimal import Decimal
from unittest import mock

import pytest
from celery.app.task import Task
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.idempotency import IdempotentRequest
from apps.receipts.models import Receipt
from apps.transactions.models import Transaction
from apps.wallets.services import deposit_create, transfer_create
from tests.support.celery_helpers import broker
from tests.support.factories import balance_of
from tests.support.receipt_helpers import produce, receipt_url

REFUSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.mark.django_db
def test_committed_transfer_owes_its_receipt(alice, bob, client_for):
    response = client_for(alice).post("/api/wallet/transfer/",
                                      {"receiver_id": bob.pk, "amount": "5.00"}, format="json")
    assert response.status_code == 201
    receipt = Receipt.objects.get(pk=response.data["transaction"]["id"])
    assert (receipt.status, receipt.attempts, receipt.pdf_path) == ("pending", 0, "")
    assert receipt.due_at <= Transaction.objects.get(pk=receipt.pk).created_at


@pytest.mark.django_db
def test_deposit_owes_its_receipt(bob):
    txn = deposit_create(user_id=bob.pk, amount=Decimal("3.00")).transaction
    assert Receipt.objects.get(pk=txn.pk).status == "pending"


@pytest.mark.django_db
def test_every_transaction_owes_exactly_one_receipt(alice, bob, make_user):
    carol = make_user()
    for receiver in (bob, carol, bob):
        transfer_create(sender_id=alice.pk, receiver_id=receiver.pk, amount=Decimal("1.00"))
    assert sorted(Receipt.objects.values_list("pk", flat=True)) == sorted(
        Transaction.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transfer_leaves_nothing_owed(make_user, client_for):
    alice, bob = make_user(balance="100.00"), make_user()
    owed_before = Receipt.objects.count()
    keyed = IdempotentRequest(user_id=alice.pk, key="k-1", fingerprint="0" * 64)
    # The last write of the movement fails, after the ledger rows and the owed receipt were written.
    with mock.patch("apps.core.idempotency.idempotency_key_complete",
                    side_effect=DatabaseError("the disk is full")), pytest.raises(DatabaseError):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"), idempotency=keyed)
    refused = client_for(alice).post("/api/wallet/transfer/",
                                     {"receiver_id": bob.pk, "amount": "1000.00"}, format="json")
    assert refused.status_code == 400
    assert Receipt.objects.count() == owed_before
    assert Transaction.objects.filter(sender=alice).count() == 0
    assert balance_of(alice) == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_a_movement_cannot_be_nested_in_a_longer_transaction(make_user):
    alice, bob = make_user(balance="10.00"), make_user()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    assert balance_of(alice) == Decimal("10.00")


@pytest.mark.django_db(transaction=True)
def test_transfer_sends_nothing_to_a_refused_broker(make_user, client_for):
    alice, bob = make_user(balance="50.00"), make_user()
    # Nothing is published at all (a publish to a refused port would fail fast and still answer 201).
    with broker(REFUSED_BROKER), mock.patch.object(Task, "apply_async") as publish:
        started = time.monotonic()
        response = client_for(alice).post("/api/wallet/transfer/",
                                          {"receiver_id": bob.pk, "amount": "20.00"}, format="json")
        elapsed = time.monotonic() - started
    assert response.status_code == 201, response.data
    assert elapsed < 1.0
    assert publish.call_count == 0
    assert balance_of(alice) == Decimal("30.00")
    assert Receipt.objects.get(pk=response.data["transaction"]["id"]).status == "pending"


@pytest.mark.django_db
def test_the_owed_receipt_is_written_with_the_log_rows(alice, bob):
    with CaptureQueriesContext(connection) as ctx:
        txn = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00")).transaction
    writes = [q["sql"] for q in ctx.captured_queries if '"receipts_receipt"' in q["sql"]]
    assert len(writes) == 1 and "INSERT INTO" in writes[0]
    # One statement writes the log row, its entries and the receipt.
    assert '"transactions_ledgerentry"' in writes[0] and '"transactions_transaction"' in writes[0]
    assert txn.entries.count() == 2 and Receipt.objects.filter(pk=txn.pk, status="pending").exists()


@pytest.mark.django_db
def test_owed_receipt_is_downloadable_once_the_relay_ran(transfer, alice, client_for):
    assert client_for(alice).get(receipt_url(transfer.pk)).status_code == 409
    assert produce(transfer.pk).status == "ready"
    assert client_for(alice).get(receipt_url(transfer.pk)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_migration_makes_every_transaction_without_a_ready_receipt_owed(make_user):
    from importlib import import_module

    class TablesOfToday:  # the receipt table where it lives now (receipts_receipt)
        @staticmethod
        def get_model(app_label, name):
            return {"Receipt": Receipt, "Transaction": Transaction}[name]

    owe = import_module("apps.transactions.migrations.0004_receipt_outbox").owe_every_missing_receipt
    user = make_user()
    missing, failed, ready = (deposit_create(user_id=user.pk, amount=Decimal(i)).transaction
                              for i in (1, 2, 3))
    produce(ready.pk)
    Receipt.objects.filter(pk=missing.pk).delete()
    Receipt.objects.filter(pk=failed.pk).update(status="failed", attempts=6)
    with connection.schema_editor() as editor:
        owe(TablesOfToday, editor)
    states = dict(Receipt.objects.values_list("pk", "status"))
    assert states == {missing.pk: "pending", failed.pk: "pending", ready.pk: "ready"}
    assert Receipt.objects.get(pk=failed.pk).attempts == 0
