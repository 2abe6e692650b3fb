"""GET /api/transactions/statement/: balances at both ends of a range and the totals in between."""
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from apps.transactions.selectors import transaction_statement
from apps.wallets.services import deposit_create, transfer_create
from tests.support.factories import backdate, balance_of

pytestmark = pytest.mark.django_db
URL, HISTORY = "/api/transactions/statement/", "/api/transactions/"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def dated(make_user):
    """Alice's movements, one a day from T0 (each moved to its day after the fact)."""
    alice, bob = make_user(username="alice"), make_user(username="bob")
    moves = [
        lambda: deposit_create(user_id=alice.pk, amount=Decimal("100.00")),
        lambda: deposit_create(user_id=bob.pk, amount=Decimal("50.00")),
        lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.10")),
        lambda: transfer_create(sender_id=bob.pk, receiver_id=alice.pk, amount=Decimal("2.50")),
        lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.00")),
        lambda: deposit_create(user_id=alice.pk, amount=Decimal("0.01")),
        lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("0.20")),
    ]
    for day, move in enumerate(moves):
        txn = move().transaction
        backdate(txn.pk, T0 + timedelta(days=day, hours=12))
    return alice, bob


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def history_totals(client, start: datetime, end: datetime) -> dict:
    items = client.get(HISTORY, {"created_after": iso(start), "created_before": iso(end),
                                 "page_size": 100}).data["results"]
    total_in = sum((Decimal(i["amount"]) for i in items if i["direction"] == "received"), Decimal("0.00"))
    total_out = sum((Decimal(i["amount"]) for i in items if i["direction"] == "sent"), Decimal("0.00"))
    return {"total_in": f"{total_in:.2f}", "total_out": f"{total_out:.2f}", "count": len(items)}


def test_a_month_statement(dated, client_for):
    alice, _ = dated
    response = client_for(alice).get(URL, {"from": "2026-03-02", "to": "2026-03-07"})
    assert response.status_code == 200, response.data
    assert response.data == {  # day 1 is bob's deposit: alice's next four movements
        "from": "2026-03-02T00:00:00Z", "to": "2026-03-07T00:00:00Z", "currency": "USD",
        "opening_balance": "100.00", "closing_balance": "62.41", "total_in": "2.51", "total_out": "40.10",
        "count": 4,
    }


@pytest.mark.parametrize(("start", "end"), [
    (T0 - timedelta(days=30), T0 + timedelta(days=30)),  # before the first entry, after the last
    (T0 - timedelta(days=1), T0),  # nothing yet
    (T0 + timedelta(days=10), T0 + timedelta(days=11)),  # nothing any more
    (T0 + timedelta(days=1, hours=12), T0 + timedelta(days=3, hours=12)),  # boundaries on entries
    (T0 + timedelta(days=2), T0 + timedelta(days=2, hours=13)),
    (T0 - timedelta(days=200), T0 + timedelta(days=166)),  # 366 days
])
def test_totals_are_the_sum_of_the_history_items_in_the_range(dated, client_for, start, end):
    for user in dated:
        client = client_for(user)
        body = client.get(URL, {"from": iso(start), "to": iso(end)}).data
        assert {k: body[k] for k in ("total_in", "total_out", "count")} == history_totals(client, start, end)
        opening, closing = Decimal(body["opening_balance"]), Decimal(body["closing_balance"])
        assert closing == opening + Decimal(body["total_in"]) - Decimal(body["total_out"])
        if start < T0:
            assert opening == Decimal("0.00")
        if end > T0 + timedelta(days=7):
            assert closing == balance_of(user)


def test_offsets_are_read_as_instants(dated, client_for):
    alice, _ = dated
    # 2026-03-02T02:00+02:00 is midnight UTC.
    response = client_for(alice).get(URL, {"from": "2026-03-02T02:00:00+02:00", "to": "2026-03-03T00:00:00Z"})
    assert response.status_code == 200, response.data
    assert (response.data["from"], response.data["count"], response.data["total_out"]) == (
        "2026-03-02T00:00:00Z", 0, "0.00")  # bob's deposit that day is not alice's
    response = client_for(alice).get(URL, {"from": "2026-03-03T01:00:00+01:00", "to": "2026-03-04"})
    assert (response.data["from"], response.data["count"], response.data["total_out"]) == (
        "2026-03-03T00:00:00Z", 1, "10.10")


def test_a_user_without_entries_has_an_all_zero_statement(make_user, client_for):
    response = client_for(make_user()).get(URL, {"from": "2026-01-01", "to": "2026-02-01"})
    assert response.status_code == 200
    assert [response.data[k] for k in ("opening_balance", "closing_balance", "total_in", "total_out",
                                       "count")] == ["0.00", "0.00", "0.00", "0.00", 0]


def test_a_statement_is_a_fixed_number_of_queries(dated, client_for):
    alice, _ = dated
    client = client_for(alice)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, {"from": "2025-06-01", "to": "2026-06-01"}).status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries if "ledgerentry" in q["sql"]]
    assert len(reads) == 3, reads
    assert all("SUM(" in sql or "LIMIT 1" in sql for sql in reads)


def test_a_statement_reads_only_the_range_through_the_user_time_index(dated, client_for):
    """Cost follows the range, not the table: each query reaches alice's entries through the
    (user, created_at) index, bounded by the range's ends (the planner told not to scan, as it
    would on tables this small)."""
    alice, _ = dated
    with CaptureQueriesContext(connection) as ctx:
        assert client_for(alice).get(URL, {"from": "2026-03-02", "to": "2026-03-05"}).status_code == 200
    reads = [(q["sql"]) for q in ctx.captured_queries if "ledgerentry" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in reads:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "entry_user_created_idx" in plan and "created_at" in plan.split("Index Cond:", 1)[1], plan
    opening = next(sql for sql in reads if "LIMIT 1" in sql)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {opening}")
        assert "Index Only Scan Backward using entry_user_created_idx" in cursor.fetchall()[1][0]


@pytest.mark.parametrize(("query", "name", "code"), [
    ("", "from", "required"),
    ("from=2026-03-01", "to", "required"),
    ("from=&to=2026-03-02", "from", "blank"),
    ("from=2026-03-01&to=2026-03-02&to=2026-03-03", "to", "repeated_parameter"),
    ("from=2026-03-01&to=2026-03-02&direction=sent", "direction", "unknown_parameter"),
    ("from=2026-03-01&to=2026-03-02&page_size=5", "page_size", "unknown_parameter"),
    ("from=yesterday&to=2026-03-02", "from", "invalid"),
    ("from=2026-03-02&to=2026-03-02", "to", "invalid_range"),
    ("from=2026-03-03&to=2026-03-02", "to", "invalid_range"),
    ("from=2025-03-01&to=2026-03-03", "to", "range_too_long"),
])
def test_invalid_parameters_are_refused(alice, client_for, query, name, code):
    response = client_for(alice).get(f"{URL}?{query}")
    assert response.status_code == 400, response.data
    assert response.data["code"] == "invalid_filter"
    assert code in [e["code"] for e in response.data["details"][name]]


def test_anonymous_is_401(api):
    assert api.get(URL, {"from": "2026-03-01", "to": "2026-03-02"}).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_transfer_committing_between_the_reads_does_not_unbalance_the_statement(make_user):
    """The three reads see one instant: a transfer committed (by another connection) after the
    totals and before the closing balance must not be half in the statement."""
    alice, bob = make_user(balance="100.00"), make_user()
    fired = []

    def transfer_after_the_totals(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "SUM(" in sql and not fired:
            fired.append(True)
            worker = threading.Thread(target=lambda: (
                transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("7.00")),
                connections.close_all()))
            worker.start()
            worker.join()
        return result

    now = datetime.now(UTC)
    with connection.execute_wrapper(transfer_after_the_totals):
        statement = transaction_statement(user_id=alice.pk, start=now - timedelta(days=1),
                                          end=now + timedelta(days=1))
    assert fired and balance_of(alice) == Decimal("93.00")  # the transfer did commit meanwhile
    seen = (statement.opening_balance, statement.total_in, statement.total_out, statement.closing_balance)
    assert seen == (Decimal("0.00"), Decimal("100.00"), Decimal("0.00"), Decimal("100.00"))
