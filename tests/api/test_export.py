"""GET /api/transactions/export.csv: the caller's history as a streamed CSV file."""
import csv
import io
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from apps.transactions.exports import HEADER, csv_lines, spreadsheet_safe
from apps.transactions.models import Transaction
from apps.transactions.selectors import EXPORT_BATCH, transaction_entries, transaction_export
from apps.wallets.services import deposit_create, transfer_create
from tests.support.factories import backdate, deposits_in_bulk
from tests.support.ledger import ledger_maintenance

pytestmark = pytest.mark.django_db
URL = "/api/transactions/export.csv"


def export(client, query=None):
    response = client.get(URL, query or {})
    assert response.status_code == 200, response.content
    assert response.streaming  # an iterator of lines, never one string
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="transactions.csv"'
    body = response.getvalue().decode()
    return list(csv.reader(io.StringIO(body, newline="")))


DESCRIPTION = HEADER.index("description")


@pytest.fixture
def trio(make_user):
    alice, bob, carol = (make_user(username=n, balance="100.00") for n in ("alice", "bob", "carol"))
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00"),
                    description="Dinner, Friday")
    transfer_create(sender_id=bob.pk, receiver_id=alice.pk, amount=Decimal("2.50"),
                    description='He said "thanks"')
    transfer_create(sender_id=alice.pk, receiver_id=carol.pk, amount=Decimal("30.00"))
    return alice, bob, carol


def test_header_and_one_row_per_entry_newest_first(trio, client_for):
    alice, bob, carol = trio
    rows = export(client_for(alice))
    assert tuple(rows[0]) == HEADER
    txns = list(Transaction.objects.filter(entries__user=alice).order_by("-id"))
    assert [int(r[0]) for r in rows[1:]] == [t.pk for t in txns]
    assert [r[2:] for r in rows[1:]] == [
        ["transfer", "sent", str(carol.pk), "carol", "30.00", "62.50", "", ""],
        ["transfer", "received", str(bob.pk), "bob", "2.50", "92.50", 'He said "thanks"', ""],
        ["transfer", "sent", str(bob.pk), "bob", "10.00", "90.00", "Dinner, Friday", ""],
        ["deposit", "received", "", "", "100.00", "100.00", "", ""],
    ]
    assert rows[1][1] == txns[0].created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # UTC, ISO 8601


def test_commas_quotes_and_newlines_are_quoted(make_user, client_for):
    alice = make_user(username="alice")
    # Descriptions refuse line breaks, but the column is quoted for whatever it may hold.
    txn = deposit_create(user_id=alice.pk, amount=Decimal("1.00"), description="a, b").transaction
    with ledger_maintenance():  # descriptions are immutable too
        Transaction.objects.filter(pk=txn.pk).update(description='line one\nline "two", three')
    response = client_for(alice).get(URL)
    raw = response.getvalue().decode()
    assert raw.endswith('"line one\nline ""two"", three",\r\n')  # then original_id, empty
    assert export(client_for(alice))[1][DESCRIPTION] == 'line one\nline "two", three'


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formulas_are_exported_as_text(make_user, client_for, text):
    alice = make_user(username="alice")
    txn = deposit_create(user_id=alice.pk, amount=Decimal("1.00")).transaction
    with ledger_maintenance():
        Transaction.objects.filter(pk=txn.pk).update(description=text)
    assert export(client_for(alice))[1][DESCRIPTION] == "'" + text


def test_a_username_that_looks_like_a_formula_is_exported_as_text(make_user, client_for):
    alice, other = make_user(username="alice", balance="5.00"), make_user(username="-cmd")
    transfer_create(sender_id=alice.pk, receiver_id=other.pk, amount=Decimal("1.00"), description="@lunch")
    row = export(client_for(alice))[1]
    assert (row[5], row[DESCRIPTION]) == ("'-cmd", "'@lunch")


def test_spreadsheet_safe_leaves_ordinary_text_alone():
    assert [spreadsheet_safe(t) for t in ("bob", "a=b", "", "1+1", "Ünïcode")] == ["bob", "a=b", "", "1+1",
                                                                                  "Ünïcode"]


@pytest.mark.parametrize(("query", "amounts"), [
    ({"direction": "sent"}, ["30.00", "10.00"]),
    ({"direction": "received"}, ["2.50", "100.00"]),
    ({"kind": "deposit"}, ["100.00"]),
    ({"min_amount": "10", "max_amount": "30"}, ["30.00", "10.00"]),
])
def test_the_historys_filters_apply(trio, client_for, query, amounts):
    assert [r[6] for r in export(client_for(trio[0]), query)[1:]] == amounts


def test_counterparty_and_range_filters(trio, client_for):
    alice, _, carol = trio
    assert [r[6] for r in export(client_for(alice), {"counterparty": carol.pk})[1:]] == ["30.00"]
    first, *_ = Transaction.objects.filter(entries__user=alice).order_by("id")
    backdate(first.pk, "2020-01-01T00:00:00Z")
    for start, end in (("from", "to"), ("created_after", "created_before")):
        rows = export(client_for(alice), {start: "2019-12-31", end: "2020-01-02"})
        assert [r[6] for r in rows[1:]] == ["100.00"]


def test_an_empty_export_is_the_header_alone(trio, make_user, client_for):
    assert export(client_for(make_user())) == [list(HEADER)]
    # A range that selects nothing is an empty file too, as in the history.
    assert export(client_for(trio[0]), {"from": "2026-03-02", "to": "2026-03-01"}) == [list(HEADER)]


def test_only_the_callers_entries(trio, client_for):
    _, _, carol = trio
    rows = export(client_for(carol))
    assert [r[6] for r in rows[1:]] == ["30.00", "100.00"]


@pytest.mark.parametrize(("query", "name", "code"), [
    ("direction=up", "direction", "invalid_choice"),
    ("format=json", "format", "unknown_parameter"),
    ("format=csv", "format", "unknown_parameter"),
    ("page_size=5", "page_size", "unknown_parameter"),
    ("cursor=abc", "cursor", "unknown_parameter"),
    ("kind=", "kind", "blank"),
    ("kind=deposit&kind=transfer", "kind", "repeated_parameter"),
    ("from=soon", "from", "invalid"),
])
def test_invalid_parameters_are_refused(alice, client_for, query, name, code):
    response = client_for(alice).get(f"{URL}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_filter"
    assert code in [e["code"] for e in body["details"][name]]


def test_anonymous_is_401(api):
    assert api.get(URL).status_code == 401


def test_a_big_export_streams_in_keyset_batches(make_user, client_for):
    alice = make_user(username="alice")
    txns = deposits_in_bulk(alice, 4_500)
    rows = list(transaction_export(entries=transaction_entries(user_id=alice.pk), batch_size=1_000))
    assert [r[0] for r in rows] == [t.pk for t in reversed(txns)]

    with CaptureQueriesContext(connection) as answered:
        response = client_for(alice).get(URL)
    assert response.streaming
    with CaptureQueriesContext(connection) as sent:
        lines = list(response.streaming_content)
    assert len(lines) == 4_501  # the header, then one chunk per line: never the file in one string
    first = [q["sql"] for q in answered.captured_queries if "ledgerentry" in q["sql"]]
    assert len(first) == 1  # the first batch is read before the answer, the others as it is sent
    batches = first + [q["sql"] for q in sent.captured_queries if "ledgerentry" in q["sql"]]
    assert len(batches) == 3  # 2,000 + 2,000 + 500
    assert all("LIMIT 2000" in sql for sql in batches)
    assert all('"transactions_ledgerentry"."transaction_id" <' in sql for sql in batches[1:])
    assert lines[-1].decode().split(",")[-3] == "1.00"


def _fail_ledger_reads(*, after: int):
    """An execute wrapper: the ledger's reads after the first ``after`` fail as a lost connection does."""
    reads = iter(range(1_000_000))

    def wrapper(execute, sql, params, many, context):
        if "transactions_ledgerentry" in sql and next(reads) >= after:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


def test_a_database_failure_before_the_first_row_is_a_503(trio, client_for):
    with connection.execute_wrapper(_fail_ledger_reads(after=0)):
        response = client_for(trio[0]).get(URL)
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "1"
    assert not response.streaming


def test_a_database_failure_mid_file_raises_instead_of_ending_the_file(make_user, client_for):
    alice = make_user(username="alice", balance="1.00")
    deposits_in_bulk(alice, EXPORT_BATCH, opening=Decimal("1.00"))
    with connection.execute_wrapper(_fail_ledger_reads(after=1)):
        response = client_for(alice).get(URL)
        assert response.status_code == 200  # the first batch was read
        chunks = iter(response.streaming_content)
        sent = [next(chunks) for _ in range(1 + EXPORT_BATCH)]  # the header and the first batch
        with pytest.raises(OperationalError):  # the server aborts the connection: no clean end
            next(chunks)
    assert sent[0].startswith(b"id,time,")
    assert [row.split(b",")[-3] for row in sent[1:3]] == [f"{EXPORT_BATCH + 1}.00".encode(),
                                                          f"{EXPORT_BATCH}.00".encode()]  # newest first


def test_csv_lines_is_lazy():
    produced = csv_lines(iter([]))
    assert next(produced).startswith("id,time,")
    with pytest.raises(StopIteration):
        next(produced)
