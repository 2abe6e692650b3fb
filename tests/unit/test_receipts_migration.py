"""The receipt outbox moves from the transactions app to its own without losing a row."""
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.receipts.models import Receipt
from apps.wallets.services import deposit_create
from tests.support.receipt_helpers import produce


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


@pytest.mark.django_db(transaction=True)
def test_a_database_with_receipts_keeps_every_row_through_the_move(make_user):
    user = make_user()
    produce(deposit_create(user_id=user.pk, amount=Decimal(1)).transaction.pk)
    owed = deposit_create(user_id=user.pk, amount=Decimal(2)).transaction
    before = sorted(Receipt.objects.values_list("pk", "status", "pdf_path", "attempts"))

    _migrate([("receipts", None)])  # back to before the move: the table is the transactions app's
    assert "transactions_receipt" in _tables() and "receipts_receipt" not in _tables()
    with connection.cursor() as cursor:
        cursor.execute("SELECT transaction_id, status, pdf_path, attempts FROM transactions_receipt "
                       "ORDER BY transaction_id")
        assert sorted(cursor.fetchall()) == before

    _migrate(None)
    assert "receipts_receipt" in _tables() and "transactions_receipt" not in _tables()
    assert sorted(Receipt.objects.values_list("pk", "status", "pdf_path", "attempts")) == before
    assert Receipt.objects.get(pk=owed.pk).status == "pending"
