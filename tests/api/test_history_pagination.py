"""History pages: SQL cost, keyset cursors, page-size limits and ISO 8601 date filters."""
import base64
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.services import deposit_create
from tests.support.factories import backdate

pytestmark = pytest.mark.django_db
URL = "/api/transactions/"


def _bulk_transfers(alice, bob, count: int) -> list[int]:
    """``count`` transfers alternating alice->bob and bob->alice, written in two statements.

    History is a read path, so the rows are inserted directly rather than
    through the transfer service; balances are irrelevant here.
    """
    txns = Transaction.objects.bulk_create([
        Transaction(kind=Transaction.Kind.TRANSFER, amount=Decimal(i + 1),
                    sender=alice if i % 2 == 0 else bob, receiver=bob if i % 2 == 0 else alice)
        for i in range(count)
    ])
    LedgerEntry.objects.bulk_create([
        LedgerEntry(transaction=txn, user_id=user_id, counterparty_id=other_id, direction=direction,
                    amount=sign * txn.amount, balance_after=Decimal("0.00"), created_at=txn.created_at)
        for txn in txns
        for user_id, other_id, direction, sign in (
            (txn.sender_id, txn.receiver_id, LedgerEntry.Direction.SENT, -1),
            (txn.receiver_id, txn.sender_id, LedgerEntry.Direction.RECEIVED, 1),
        )
    ])
    return [txn.pk for txn in txns]


@pytest.fixture
def busy_pair(make_user):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    ids = _bulk_transfers(alice, bob, 150)
    return alice, bob, ids


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("page_size", [5, 100])
def test_page_costs_one_query_whatever_its_size(busy_pair, client_for, django_assert_num_queries,
                                                 page_size):
    alice, _, ids = busy_pair
    client = client_for(alice)  # stateless JWT: authentication itself reads nothing
    with django_assert_num_queries(1):
        response = client.get(f"{URL}?page_size={page_size}")
    assert response.status_code == 200
    items = response.data["results"]
    assert [i["id"] for i in items] == sorted(ids, reverse=True)[:page_size]
    assert {i["direction"] for i in items} == {"sent", "received"}
    assert {i["sender"]["username"] for i in items} == {"alice", "bob"}
    assert {i["receiver"]["username"] for i in items} == {"alice", "bob"}


def test_filtered_page_and_retrieve_cost_one_query(busy_pair, client_for, django_assert_num_queries):
    alice, bob, ids = busy_pair
    client = client_for(alice)
    with django_assert_num_queries(1):
        response = client.get(f"{URL}?page_size=100&direction=received&counterparty={bob.pk}"
                              "&min_amount=10&kind=transfer")
    assert response.status_code == 200
    assert len(response.data["results"]) == 71  # bob sent the even amounts 2..150
    with django_assert_num_queries(1):
        response = client.get(f"{URL}{ids[0]}/")
    assert response.status_code == 200
    assert response.data["sender"] == {"id": alice.pk, "username": "alice"}


def test_deep_pages_use_the_keyset_not_offset(busy_pair, client_for):
    alice, _, ids = busy_pair
    client = client_for(alice)
    newest_first = sorted(ids, reverse=True)
    url, seen = f"{URL}?page_size=10", []
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url).data
        seen += [i["id"] for i in page["results"]]
        url = _path(page["next"])
    assert seen == newest_first[:50]

    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert "OFFSET" not in sql.upper()
    assert "LIMIT 11" in sql.upper()
    assert f'"transaction_id" < {newest_first[39]}' in sql  # seek past the last row seen

    # And back: the previous link of page 5 is page 4, again without OFFSET.
    with CaptureQueriesContext(connection) as ctx:
        previous = client.get(_path(page["previous"])).data
    assert [i["id"] for i in previous["results"]] == newest_first[30:40]
    assert "OFFSET" not in ctx.captured_queries[0]["sql"].upper()


def test_page_size_limit(busy_pair, client_for):
    client = client_for(busy_pair[0])
    assert len(client.get(f"{URL}?page_size=100").data["results"]) == 100
    assert len(client.get(URL).data["results"]) == 20


@pytest.mark.parametrize("value", ["101", "1000", "0", "-1", "abc", "", "1.5", "٣"])
def test_page_size_out_of_range_is_400_not_capped(make_user, client_for, value):
    response = client_for(make_user()).get(f"{URL}?{urlencode({'page_size': value})}")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_filter"
    assert response.data["details"]["page_size"][0]["code"] == "invalid_page_size"


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("cursor", [
    "garbage", _cursor("p=abc"), _cursor("o=5&p=10"), _cursor("p=1 OR 1=1"), _cursor("r=x"),
    _cursor("p=9223372036854775808"), _cursor("r=1&p=9999999999999999999"),  # beyond BIGINT
])
def test_forged_cursor_is_400(make_user, client_for, cursor):
    response = client_for(make_user()).get(f"{URL}?{urlencode({'cursor': cursor})}")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_filter"
    assert response.data["details"]["cursor"][0]["code"] == "invalid_cursor"


@pytest.fixture
def timed(make_user):
    """Three deposits at 10:00, 11:00 and 12:00 UTC on 2026-03-01."""
    user = make_user()
    for hour in (10, 11, 12):
        txn = deposit_create(user_id=user.pk, amount=Decimal(hour)).transaction
        backdate(txn.pk, datetime(2026, 3, 1, hour, tzinfo=UTC))
    return user


@pytest.mark.parametrize(("params", "amounts"), [
    ({"created_after": "2026-03-01T12:30:00+02:00"}, ["12.00", "11.00"]),  # 10:30Z
    ({"created_after": "2026-03-01T06:00:00-05:00"}, ["12.00", "11.00"]),  # 11:00Z, inclusive
    ({"created_before": "2026-03-01T13:00:00+02:00"}, ["10.00"]),  # 11:00Z, exclusive
    ({"created_after": "2026-03-01T11:00:00Z", "created_before": "2026-03-01T12:00:00Z"}, ["11.00"]),
    ({"created_after": "2026-03-01T11:00:00.000001+00:00"}, ["12.00"]),
    ({"created_after": "2026-03-01T11:00:00"}, ["12.00", "11.00"]),  # no offset: UTC
    ({"created_before": "2026-03-01T16:30:00+05:30"}, ["10.00"]),  # 11:00Z
])
def test_created_filters_honour_timezone_offsets(timed, client_for, params, amounts):
    response = client_for(timed).get(f"{URL}?{urlencode(params)}")
    assert response.status_code == 200, response.data
    assert [i["amount"] for i in response.data["results"]] == amounts


@pytest.mark.parametrize("raw", [
    "created_after=2026-03-01T12:30:00+02:00",  # unencoded "+" arrives as a space
    "created_after=2026-13-01T00:00:00Z",
    "created_before=1%20March%202026",
])
def test_malformed_dates_are_400(timed, client_for, raw):
    response = client_for(timed).get(f"{URL}?{raw}")
    assert response.status_code == 400
    assert response.data["code"] == "invalid_filter"
    assert raw.split("=")[0] in response.data["details"]
