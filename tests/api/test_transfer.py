from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, connection

from apps.core.money import MAX_AMOUNT
from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.services import transfer_create
from tests.support.factories import balance_of

pytestmark = pytest.mark.django_db
URL = "/api/wallet/transfer/"


def test_transfer_moves_money_and_logs_it(alice, bob, client_for):
    response = client_for(alice).post(URL, {"receiver_id": bob.pk, "amount": "30.25"}, format="json")

    assert response.status_code == 201, response.data
    body = response.data
    assert body["balance"] == "69.75"
    txn = body["transaction"]
    assert set(txn) == {"id", "kind", "sender_id", "receiver_id", "amount", "created_at", "description",
                        "original_id"}
    assert txn["original_id"] is None
    assert txn["description"] == ""
    assert txn["kind"] == "transfer"
    assert (txn["sender_id"], txn["receiver_id"], txn["amount"]) == (alice.pk, bob.pk, "30.25")
    assert balance_of(alice) == Decimal("69.75")
    assert balance_of(bob) == Decimal("30.25")
    row = Transaction.objects.get(pk=txn["id"])
    assert (row.sender_id, row.receiver_id, row.amount) == (alice.pk, bob.pk, Decimal("30.25"))
    entries = {(e.user_id, e.direction, e.counterparty_id)
               for e in LedgerEntry.objects.filter(transaction=row)}
    assert entries == {(alice.pk, "sent", bob.pk), (bob.pk, "received", alice.pk)}


@pytest.mark.parametrize(("amount", "expected"), [
    ("10", "10.00"), ("10.5", "10.50"), ("0.01", "0.01"), ("0.1", "0.10"), ("7.10", "7.10"),
])
def test_amount_as_a_string(alice, bob, client_for, amount, expected):
    response = client_for(alice).post(URL, {"receiver_id": bob.pk, "amount": amount}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["transaction"]["amount"] == expected
    assert balance_of(bob) == Decimal(expected)


@pytest.mark.parametrize("raw", [b"10", b"10.5", b"0.1", b"1e2", b"-1", b"10.50", b"null", b"true",
                                 b"{}", b"[]"])
def test_an_amount_that_is_not_a_json_string_is_refused(alice, bob, client_for, raw):
    body = b'{"receiver_id": %d, "amount": %s}' % (bob.pk, raw)
    response = client_for(alice).generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_amount", "message": 'amount: Send the amount as a JSON string, such as "10.50".',
        "details": {"amount": [{"code": "invalid_amount",
                                "message": 'Send the amount as a JSON string, such as "10.50".'}]},
    }
    assert balance_of(alice) == Decimal("100.00")
    assert Transaction.objects.filter(kind="transfer").count() == 0


def test_json_numbers_are_parsed_to_decimal_never_float():
    """A number is refused, but the parser reads it exactly, so nothing is lost on the way."""
    import io

    from apps.core.parsers import DecimalJSONParser

    parsed = DecimalJSONParser().parse(io.BytesIO(b'{"a": 0.1, "b": 1e2, "c": 10}'), "application/json", {})
    assert parsed == {"a": Decimal("0.1"), "b": Decimal("1E+2"), "c": 10}
    assert isinstance(parsed["a"], Decimal) and isinstance(parsed["b"], Decimal)


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "The amount must be greater than zero."),
    ("0.00", "The amount must be greater than zero."),
    ("1.234", "Use at most 2 decimal places."),
    ("0.001", "Use at most 2 decimal places."),
    ("12345678901234567.00", "Use at most 16 digits before the decimal point."),
    ("12345678901234567", "Use at most 16 digits before the decimal point."),
    *((bad, "Write the amount as digits with an optional point and up to 2 decimals, such as \"10.50\": "
            "no sign, spaces, exponent or leading zeros.")
      for bad in ("-5", "+1", "1e2", "NaN", "abc", "", " 1.00", "1.00 ", "01.00", "1.", ".5", "1,00",
                  "\u0661")),
    (None, 'Send the amount as a JSON string, such as "10.50".'),
])
def test_invalid_amount(alice, bob, client_for, amount, message):
    response = client_for(alice).post(URL, {"receiver_id": bob.pk, "amount": amount}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_amount"
    assert response.data["message"] == f"amount: {message}"
    assert response.data["details"]["amount"] == [{"code": "invalid_amount", "message": message}]
    assert balance_of(alice) == Decimal("100.00")
    assert Transaction.objects.filter(kind="transfer").count() == 0


def test_insufficient_funds(alice, bob, client_for):
    response = client_for(alice).post(URL, {"receiver_id": bob.pk, "amount": "100.01"}, format="json")
    assert response.status_code == 400
    assert response.data == {"code": "insufficient_funds", "message": mock.ANY, "details": None}
    assert balance_of(alice) == Decimal("100.00")
    assert balance_of(bob) == Decimal("0.00")


def test_exact_balance_can_be_sent(alice, bob, client_for):
    response = client_for(alice).post(URL, {"receiver_id": bob.pk, "amount": "100.00"}, format="json")
    assert response.status_code == 201
    assert response.data["balance"] == "0.00"


def test_receiver_not_found(alice, make_user, client_for):
    inactive = make_user(username="gone", is_active=False)
    client = client_for(alice)
    for receiver_id in (999_999, inactive.pk):
        response = client.post(URL, {"receiver_id": receiver_id, "amount": "1.00"}, format="json")
        assert response.status_code == 400
        assert response.data["code"] == "receiver_not_found"
    assert balance_of(alice) == Decimal("100.00")
    assert balance_of(inactive) == Decimal("0.00")


def test_self_transfer(alice, client_for):
    response = client_for(alice).post(URL, {"receiver_id": alice.pk, "amount": "1.00"}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "self_transfer"
    assert balance_of(alice) == Decimal("100.00")


def test_disabled_sender_cannot_spend_with_unexpired_token(alice, bob, client_for):
    client = client_for(alice)
    alice.is_active = False
    alice.save()
    response = client.post(URL, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert response.status_code == 403
    assert response.data["code"] == "account_inactive"
    assert balance_of(alice) == Decimal("100.00")


def test_receiver_balance_limit(make_user, client_for):
    rich = make_user(balance=MAX_AMOUNT)
    sender = make_user(balance="1.00")
    response = client_for(sender).post(URL, {"receiver_id": rich.pk, "amount": "0.01"}, format="json")
    assert response.status_code == 400
    assert response.data["code"] == "balance_limit_exceeded"
    assert balance_of(sender) == Decimal("1.00")


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "1.00"}, "receiver_id"),
    ({"receiver_id": 2}, "amount"),
    ({"receiver_id": "2", "amount": "1.00"}, "receiver_id"),
    ({"receiver_id": 1.5, "amount": "1.00"}, "receiver_id"),
    ({"receiver_id": 0, "amount": "1.00"}, "receiver_id"),
    ({"receiver_id": 2**63, "amount": "1.00"}, "receiver_id"),
    ({"receiver_id": 2, "amount": "1.00", "sender_id": 1}, "sender_id"),
])
def test_malformed_body(alice, bob, client_for, body, field):
    response = client_for(alice).post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.data["details"]
    assert response.data["code"] in {"invalid_input", "invalid_amount", "unknown_field"}
    assert balance_of(alice) == Decimal("100.00")


def test_unauthenticated_transfer_is_401(api, alice, bob):
    response = api.post(URL, {"receiver_id": bob.pk, "amount": "1.00"}, format="json")
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"
    assert balance_of(alice) == Decimal("100.00")


def _fail_statements(prefix: str):
    """Make the database refuse every statement that writes ``prefix`` (a failed write).

    On PostgreSQL the log row, its entries and the receipt are one statement: refusing it
    stands for any of its parts failing.
    """
    def wrapper(execute, sql, params, many, context):
        if prefix in sql:
            raise IntegrityError(f"refused: {prefix}")
        return execute(sql, params, many, context)
    return connection.execute_wrapper(wrapper)


@pytest.mark.parametrize("table", ["transactions_ledgerentry", "transactions_transaction",
                                   "receipts_receipt"])
def test_failed_log_insert_rolls_back_both_balances(alice, bob, table):
    with _fail_statements(f'INSERT INTO "{table}"'), pytest.raises(IntegrityError):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("40.00"))
    assert balance_of(alice) == Decimal("100.00")
    assert balance_of(bob) == Decimal("0.00")
    assert not Transaction.objects.filter(kind="transfer").exists()
    assert not LedgerEntry.objects.filter(direction="sent", user__isnull=False).exists()


def test_database_refuses_negative_balance(alice):
    from apps.wallets.models import Wallet
    with pytest.raises(IntegrityError):
        Wallet.objects.filter(user=alice).update(balance=Decimal("-0.01"))


def test_wallet_me(alice, client_for):
    response = client_for(alice).get("/api/wallet/me/")
    assert response.status_code == 200
    assert response.data["balance"] == "100.00"
    assert response.data["user_id"] == alice.pk
    assert set(response.data) == {"id", "user_id", "balance", "held", "available", "currency", "updated_at"}
    assert (response.data["held"], response.data["available"]) == ("0.00", "100.00")
    assert response.data["currency"] == "USD"  # WALLET_CURRENCY's default


def test_wallet_me_names_the_configured_currency(alice, client_for, settings):
    settings.WALLET_CURRENCY = "EUR"
    assert client_for(alice).get("/api/wallet/me/").data["currency"] == "EUR"
