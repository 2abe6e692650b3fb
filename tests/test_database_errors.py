"""A database that drops or refuses connections gets a retryable 503, never a 500."""
from decimal import Decimal
from unittest import mock

import psycopg2
import pytest
from django.db import OperationalError, connection

from tests.conftest import balance_of

TRANSFER = "/api/wallet/transfer/"


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


@pytest.mark.django_db(transaction=True)
def test_connection_dropped_by_the_server_fails_one_request_then_recovers(make_user, client_for):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")
    alice, bob = make_user(balance="10.00"), make_user()
    client = client_for(alice)
    assert client.get("/api/wallet/me/").status_code == 200  # the connection is open and reused
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    admin = psycopg2.connect(dbname=settings["NAME"], host=settings["HOST"], port=settings["PORT"] or 5432,
                             user=settings["USER"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    admin.close()

    dropped = client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert dropped.status_code == 503, dropped.content
    assert dropped.json()["code"] == "database_unavailable"
    retried = client.post(TRANSFER, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert retried.status_code == 201
    assert balance_of(alice) == Decimal("9.00")
