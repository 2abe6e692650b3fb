"""SQL cost of a transfer, measured outside any test-wrapping transaction."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories import balance_of

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
# The bound: at most 5 statements per transfer without an Idempotency-Key.
MAX_QUERIES_PER_TRANSFER = 5
# Lock both wallets, update both, then the log row, its entries, its owed receipt (the outbox) and
# the parties' webhook events with their owed deliveries (inserting nothing when no party has an
# enabled endpoint wanting them): one statement (data-modifying CTEs). A key adds its claim and its
# stored response. Exact, so that a statement added to the money path fails here.
QUERIES_PER_TRANSFER = 3
QUERIES_FOR_THE_KEY = 2


def _transfer_statements(client, receiver, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/wallet/transfer/",
                               {"receiver_id": receiver.pk, "amount": "5.00"}, format="json", **headers)
    assert response.status_code == 201
    # Transaction control (SAVEPOINT and the like) is not a query; everything else is.
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


@pytest.mark.django_db(transaction=True)
def test_transfer_sql_queries_bounded_authentication_included(make_user, client_for):
    sender = make_user(balance="50.00")
    receiver = make_user()
    statements = _transfer_statements(client_for(sender), receiver)
    assert len(statements) == QUERIES_PER_TRANSFER <= MAX_QUERIES_PER_TRANSFER, \
        "\n".join(statements)
    assert balance_of(receiver) == Decimal("5.00")


@pytest.mark.django_db(transaction=True)
def test_an_idempotency_key_adds_its_claim_and_its_stored_response(make_user, client_for):
    sender = make_user(balance="50.00")
    receiver = make_user()
    statements = _transfer_statements(client_for(sender), receiver, HTTP_IDEMPOTENCY_KEY="q-1")
    assert len(statements) == QUERIES_PER_TRANSFER + QUERIES_FOR_THE_KEY, \
        "\n".join(statements)
    assert balance_of(receiver) == Decimal("5.00")


@pytest.mark.django_db(transaction=True)
def test_wallet_lock_is_one_ordered_locking_query(make_user):
    from django.db import transaction

    from apps.wallets.selectors import wallets_lock

    first, second, inactive = make_user(balance="1.00"), make_user(), make_user(is_active=False)
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        wallets = wallets_lock(user_ids=[second.pk, first.pk, inactive.pk, 10**9])
    assert set(wallets) == {first.pk, second.pk}
    assert wallets[first.pk].balance == Decimal("1.00")
    [sql] = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    assert 'ORDER BY "wallets_wallet"."id" ASC' in sql
    assert sql.endswith('FOR NO KEY UPDATE OF "wallets_wallet"')


# The bound for a refund, without an Idempotency-Key: lock the original's row, sum what was
# returned of it (its own statement, so it sees a return committed while it waited for the lock), then
# a transfer's three: the wallets, their balances, the movement with its events. Exact, like a
# transfer's.
MAX_QUERIES_PER_REFUND = 6
QUERIES_PER_REFUND = 5


@pytest.mark.django_db(transaction=True)
def test_refund_sql_queries_bounded_authentication_included(make_user, client_for):
    from apps.wallets.services import transfer_create

    sender = make_user(balance="50.00")
    receiver = make_user()
    paid = transfer_create(sender_id=sender.pk, receiver_id=receiver.pk, amount=Decimal("20.00")).transaction
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(receiver).post(f"/api/transactions/{paid.pk}/refund/", {"amount": "5.00"},
                                             format="json")
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]
    assert len(statements) == QUERIES_PER_REFUND <= MAX_QUERIES_PER_REFUND, "\n".join(statements)
    assert statements[0].endswith('FOR NO KEY UPDATE OF "transactions_transaction"') or \
        statements[0].endswith("FOR NO KEY UPDATE"), statements[0]
    assert (balance_of(sender), balance_of(receiver)) == (Decimal("35.00"), Decimal("15.00"))
