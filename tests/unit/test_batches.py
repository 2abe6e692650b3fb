"""Keyset batches (``apps/core/batches.py``): every row once, in key order, one statement per batch."""
from unittest import mock

import pytest
from django.db import connection

from apps.core.batches import keyset_rows
from apps.wallets.models import Wallet
from apps.wallets.selectors import wallet_balances

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallets(make_user) -> list[int]:
    return sorted(make_user().wallet.pk for _ in range(5))


@pytest.mark.parametrize(("batch_size", "statements"), [(2, 3), (5, 2), (6, 1), (1, 6)])
def test_every_row_once_in_order_a_statement_per_batch(wallets, batch_size, statements,
                                                       django_assert_num_queries):
    rows = Wallet.objects.values_list("pk", "user_id")
    with django_assert_num_queries(statements):  # a full last batch costs one more, empty, statement
        ascending = [pk for pk, _ in keyset_rows(rows, key="pk", batch_size=batch_size)]
    assert ascending == wallets
    descending = [pk for pk, _ in keyset_rows(rows, key="pk", batch_size=batch_size, descending=True)]
    assert descending == wallets[::-1]


def test_a_filtered_queryset_keeps_its_filter(wallets):
    rows = Wallet.objects.filter(pk__in=wallets[1:4]).values_list("pk")
    assert [pk for pk, in keyset_rows(rows, key="pk", batch_size=1)] == wallets[1:4]


def test_wallet_balances_reads_no_server_side_cursor(wallets, django_assert_num_queries):
    """``verify_ledger``'s scan: plain statements, so it works behind a transaction pooler."""
    no_server_side_cursor = mock.patch.object(connection, "chunked_cursor",
                                              side_effect=AssertionError("server-side cursor"))
    with django_assert_num_queries(1), no_server_side_cursor:
        assert [row[0] for row in wallet_balances()] == wallets
