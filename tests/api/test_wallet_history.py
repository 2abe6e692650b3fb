"""GET /api/wallet/me/?at=: the caller's balance at a past instant, and the staff's system accounts."""
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.transactions.models import LedgerEntry
from apps.wallets.services import deposit_create, transfer_create
from tests.support.factories import backdate, balance_of

pytestmark = pytest.mark.django_db
ME = "/api/wallet/me/"
STATEMENT = "/api/transactions/statement/"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def balance_at(client, moment) -> str:
    response = client.get(ME, {"at": moment if isinstance(moment, str) else iso(moment)})
    assert response.status_code == 200, response.data
    return response.data["balance"]


@pytest.fixture
def march(make_user):
    """alice: +100.00 on 1 March 12:00, -30.00 to bob on 3 March 12:00, +5.00 from bob at the same
    instant as that transfer's (a tie broken by transaction id), nothing after."""
    alice, bob = make_user(username="alice"), make_user(username="bob", balance="50.00")
    deposit = deposit_create(user_id=alice.pk, amount=Decimal("100.00")).transaction
    backdate(deposit.pk, T0 + timedelta(hours=12))
    at = T0 + timedelta(days=2, hours=12)
    for sender, receiver, amount in ((alice, bob, "30.00"), (bob, alice, "5.00")):
        backdate(transfer_create(sender_id=sender.pk, receiver_id=receiver.pk,
                                 amount=Decimal(amount)).transaction.pk, at)
    return alice, bob


def test_the_balance_at_each_instant(march, client_for):
    alice, _ = march
    client = client_for(alice)
    assert balance_at(client, T0) == "0.00"  # before the first transaction
    assert balance_at(client, T0 + timedelta(hours=12)) == "100.00"  # at it: included
    assert balance_at(client, T0 + timedelta(hours=12) - timedelta(microseconds=1)) == "0.00"
    assert balance_at(client, T0 + timedelta(days=2)) == "100.00"
    # Both transactions of 3 March 12:00 are at or before it: the later one by id is the balance.
    assert balance_at(client, T0 + timedelta(days=2, hours=12)) == "75.00"
    assert balance_at(client, "2030-01-01") == "75.00" == str(balance_of(alice))


def test_the_answer_is_the_wallet_as_it_stood(march, client_for):
    alice, _ = march
    now = client_for(alice).get(ME).data
    then = client_for(alice).get(ME, {"at": "2026-03-02T00:00:00Z"}).data
    assert set(then) == set(now)
    assert (then["id"], then["user_id"], then["currency"]) == (now["id"], now["user_id"], now["currency"])
    assert (then["balance"], then["updated_at"]) == ("100.00", "2026-03-01T12:00:00Z")


def test_a_time_without_an_offset_is_utc_and_an_offset_is_honoured(march, client_for):
    client = client_for(march[0])
    assert balance_at(client, "2026-03-01T12:00:00") == "100.00"
    assert balance_at(client, "2026-03-01T13:00:00+02:00") == "0.00"  # 11:00 UTC
    assert balance_at(client, "2026-03-01") == "0.00"  # a date is its midnight, UTC


def test_at_matches_the_statements_opening_and_closing_balances(march, client_for):
    client = client_for(march[0])
    for start, end in [(T0, T0 + timedelta(days=1)), (T0 + timedelta(days=1), T0 + timedelta(days=3)),
                       (T0 - timedelta(days=9), T0 + timedelta(days=30))]:
        statement = client.get(STATEMENT, {"from": iso(start), "to": iso(end)}).data
        # The statement's balances are just before its instants: the same as ``at`` a microsecond before.
        assert statement["opening_balance"] == balance_at(client, start - timedelta(microseconds=1))
        assert statement["closing_balance"] == balance_at(client, end - timedelta(microseconds=1))


@pytest.mark.parametrize(("query", "code"), [
    ("at=yesterday", "invalid"),
    ("at=2026-02-30T00:00:00Z", "invalid"),
    ("at=", "blank"),
    ("at=2026-03-01&at=2026-03-02", "repeated_parameter"),
])
def test_an_invalid_instant_is_a_400_naming_at(alice, client_for, query, code):
    response = client_for(alice).get(f"{ME}?{query}")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_filter"
    assert [e["code"] for e in response.data["details"]["at"]] == [code]


def test_one_query_at_any_depth(make_user, client_for, django_assert_num_queries):
    alice = make_user(balance="1.00")
    client = client_for(alice)
    client.get(ME)  # authentication's own queries are the same for both requests below
    with CaptureQueriesContext(connection) as now:
        client.get(ME)
    with CaptureQueriesContext(connection) as then:
        client.get(ME, {"at": "2030-01-01T00:00:00Z"})
    # The balance: one probe of the ledger; the holds reserved then: one read of the payer's holds.
    assert len(then.captured_queries) == len(now.captured_queries) + 2
    [probe] = [q["sql"] for q in then.captured_queries if "transactions_ledgerentry" in q["sql"]]
    assert "LIMIT 1" in probe and "ORDER BY" in probe


def test_at_against_a_replayed_history_of_random_transfers(make_user, client_for):
    """Random transfers at random instants (many equal; in time order, as the wallet lock writes
    them); the balance at every instant is the replay of the history up to it."""
    rng = random.Random(22)
    users = [make_user(balance="100.00") for _ in range(4)]
    for user in users:  # the funding deposits happened long before
        backdate(LedgerEntry.objects.filter(user=user).get().transaction_id, T0 - timedelta(days=1))
    moves = []
    for when in sorted(T0 + timedelta(minutes=rng.randint(0, 30)) for _ in range(40)):
        sender, receiver = rng.sample(users, 2)
        amount = Decimal(rng.randint(1, 3000)) / 100
        if balance_of(sender) < amount:
            continue
        txn = transfer_create(sender_id=sender.pk, receiver_id=receiver.pk, amount=amount).transaction
        backdate(txn.pk, when)
        moves.append((when, txn.pk, sender.pk, receiver.pk, amount))
    for minute in range(-1, 32):
        moment = T0 + timedelta(minutes=minute)
        replayed = {user.pk: Decimal("100.00") for user in users}
        for when, _, sender_id, receiver_id, amount in moves:
            if when <= moment:
                replayed[sender_id] -= amount
                replayed[receiver_id] += amount
        for user in users:
            assert balance_at(client_for(user), moment) == f"{replayed[user.pk]:.2f}", (minute, user.pk)


def test_staff_see_the_system_accounts(make_user, client_for):
    staff = make_user(is_staff=True)
    make_user(balance="12.50")
    make_user(balance="0.25")
    response = client_for(staff).get("/api/wallet/system-accounts/")
    assert response.status_code == 200
    [world] = response.data
    assert {k: world[k] for k in ("code", "balance", "currency")} == {
        "code": "world", "balance": "-12.75", "currency": "USD"}


def test_the_system_accounts_are_staff_only(alice, client_for, api):
    response = client_for(alice).get("/api/wallet/system-accounts/")
    assert (response.status_code, response.data["code"]) == (403, "permission_denied")
    assert api.get("/api/wallet/system-accounts/").status_code == 401
