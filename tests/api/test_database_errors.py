"""A database that drops or refuses connections gets a retryable 503, never a 500.

A streamed file that has begun cannot change its status: the export then raises
from its body, and the server aborts the connection instead of ending the file.
"""
import time
from decimal import Decimal
from unittest import mock

import psycopg2
import pytest
from django.db import OperationalError, close_old_connections, connection

from apps.transactions.selectors import EXPORT_BATCH
from apps.wallets.services import transfer_create
from tests.support.factories import balance_of, deposits_in_bulk

TRANSFER = "/api/wallet/transfer/"
EXPORT = "/api/transactions/export.csv"


@pytest.mark.django_db
def test_database_error_during_a_transfer_is_a_retryable_503(make_user, client_for):
    alice, bob = make_user(balance="10.00"), make_user()
    with mock.patch("apps.wallets.views.transfer_create",
                    side_effect=OperationalError("server closed the connection unexpectedly")):
        response = client_for(alice).post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert set(response.json()) == {"code", "message", "details"}
    assert response["Retry-After"] == "1"
    assert balance_of(alice) == Decimal("10.00")


def _drop_connection_on_the_server() -> None:
    """End this process's database connection from the server side, as a restart or a pooler would."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    admin = psycopg2.connect(dbname=settings["NAME"], host=settings["HOST"], port=settings["PORT"] or 5432,
                             user=settings["USER"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # the backend exits asynchronously: wait until it is gone
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.01)
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_connection_dropped_by_the_server_fails_one_request_then_recovers(make_user, client_for):
    alice, bob = make_user(balance="10.00"), make_user()
    client = client_for(alice)
    assert client.get("/api/wallet/me/").status_code == 200  # the connection is open and reused
    _drop_connection_on_the_server()

    dropped = client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert dropped.status_code == 503, dropped.content
    assert dropped.json()["code"] == "database_unavailable"
    retried = client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert retried.status_code == 201
    assert balance_of(alice) == Decimal("9.00")


@pytest.mark.django_db(transaction=True)
def test_connection_dropped_before_an_export_is_a_503_not_an_empty_file(make_user, client_for):
    alice, bob = make_user(balance="10.00"), make_user()
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    client = client_for(alice)
    assert client.get("/api/wallet/me/").status_code == 200  # the connection is open and reused
    _drop_connection_on_the_server()

    dropped = client.get(EXPORT)  # authentication reads no row: the export's own read is the first
    assert dropped.status_code == 503, dropped.content
    assert not dropped.streaming
    assert dropped.json()["code"] == "database_unavailable"
    assert dropped["Retry-After"] == "1"
    close_old_connections()  # as the server does when a request ends (the test client leaves it out)
    retried = client.get(EXPORT)
    assert retried.status_code == 200
    lines = retried.getvalue().decode().splitlines()
    assert len(lines) == 3  # the header, the transfer and the funding deposit


@pytest.mark.django_db(transaction=True)
def test_connection_dropped_mid_export_aborts_the_file(make_user, client_for):
    alice = make_user(balance="1.00")
    deposits_in_bulk(alice, EXPORT_BATCH, opening=Decimal("1.00"))
    response = client_for(alice).get(EXPORT)
    assert response.status_code == 200  # the first batch is read
    chunks = iter(response.streaming_content)
    for _ in range(1 + EXPORT_BATCH):  # the header and the first batch, already read
        next(chunks)
    _drop_connection_on_the_server()
    with pytest.raises(OperationalError):  # the server aborts the connection: the file has no clean end
        next(chunks)
    close_old_connections()  # as the server does when a request ends (the test client leaves it out)
    assert client_for(alice).get("/api/wallet/me/").status_code == 200  # the next request reconnects
