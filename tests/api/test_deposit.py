from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.transactions.models import LedgerEntry, Transaction
from tests.support.factories import balance_of

pytestmark = pytest.mark.django_db
URL = "/api/wallet/deposit/"


def test_staff_deposit_credits_wallet_and_logs_it(make_user, client_for):
    staff = make_user(is_staff=True)
    user = make_user(balance="5.00")
    response = client_for(staff).post(URL, {"user_id": user.pk, "amount": "20.50"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["balance"] == "25.50"
    txn = response.data["transaction"]
    assert (txn["kind"], txn["sender_id"], txn["receiver_id"]) == ("deposit", None, user.pk)
    assert balance_of(user) == Decimal("25.50")
    entry = LedgerEntry.objects.get(transaction_id=txn["id"], user__isnull=False)
    assert (entry.user_id, entry.direction, entry.counterparty_id) == (user.pk, "received", None)
    world_leg = LedgerEntry.objects.get(transaction_id=txn["id"], user__isnull=True)
    assert (world_leg.system_account.code, world_leg.amount) == ("world", Decimal("-20.50"))


def test_non_staff_deposit_is_403_and_changes_nothing(make_user, client_for):
    user = make_user()
    response = client_for(user).post(URL, {"user_id": user.pk, "amount": "1000.00"}, format="json")
    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"
    assert balance_of(user) == Decimal("0.00")
    assert not Transaction.objects.exists()


def test_staff_flag_is_read_from_the_database_not_the_token(make_user, client_for):
    staff = make_user(is_staff=True)
    client = client_for(staff)
    staff.is_staff = False
    staff.save()
    response = client.post(URL, {"user_id": staff.pk, "amount": "1.00"}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(("body", "code"), [
    ({"user_id": 999_999, "amount": "1.00"}, "receiver_not_found"),
    ({"user_id": 1, "amount": "-1"}, "invalid_amount"),
])
def test_deposit_errors(make_user, client_for, body, code):
    staff = make_user(is_staff=True)
    response = client_for(staff).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.data["code"] == code


def test_deposit_command(make_user, capsys):
    user = make_user(username="frank")
    call_command("deposit", "frank", "12.34")
    assert balance_of(user) == Decimal("12.34")
    assert "12.34" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["nobody", "1.00"], "No user named"),
    (["frank", "1e3"], "Invalid amount"),
    (["frank", "0"], "Invalid amount"),
])
def test_deposit_command_errors(make_user, args, message):
    user = make_user(username="frank")
    with pytest.raises(CommandError, match=message):
        call_command("deposit", *args)
    assert balance_of(user) == Decimal("0.00")


def test_seed_demo_creates_funded_users_once(capsys, api):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "username=alice" in out and "password=" in out
    tokens = api.post("/api/auth/token/",
                      {"username": "alice", "password": "alice-demo-pass-1"}, format="json")
    assert tokens.status_code == 200
    assert Transaction.objects.filter(kind="deposit").count() == 2
