"""SQL cost of a transfer, measured outside any test-wrapping transaction."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import balance_of

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
MAX_QUERIES_PER_TRANSFER = 4  # lock both wallets, update both, insert log, insert entries


@pytest.mark.django_db(transaction=True)
def test_transfer_sql_queries_bounded_authentication_included(make_user, client_for):
    sender = make_user(balance="50.00")
    receiver = make_user()
    client = client_for(sender)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/wallet/transfer/",
                               {"receiver_id": receiver.pk, "amount": "5.00"}, format="json")
    assert response.status_code == 201
    # Transaction control (BEGIN/COMMIT, which SQLite logs and PostgreSQL does not)
    # is not a query; everything else is.
    statements = [q["sql"] for q in ctx.captured_queries
                  if not q["sql"].startswith(TRANSACTION_CONTROL)]
    assert len(statements) <= MAX_QUERIES_PER_TRANSFER, "\n".join(statements)
    assert balance_of(receiver) == Decimal("5.00")
