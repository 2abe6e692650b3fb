"""The movement body written directly is the body DRF's declared fields would write."""
import datetime as dt
from decimal import Decimal

import pytest
from rest_framework import serializers

from apps.transactions.models import Transaction
from apps.wallets.serializers import MovementOutputSerializer
from apps.wallets.services import MovementResult


def _result(kind, sender_id, amount, balance, created_at, description="", receiver_id=7, original_id=None):
    txn = Transaction.from_db("default", ("id", "kind", "sender_id", "receiver_id", "amount", "created_at",
                                          "description", "original_id"),
                              (42, kind, sender_id, receiver_id, amount, created_at, description,
                               original_id))
    return MovementResult(transaction=txn, balance=balance)


@pytest.mark.parametrize("result", [
    _result("transfer", 3, Decimal("10.00"), Decimal("90.00"), dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)),
    _result("transfer", 3, Decimal("0.01"), Decimal("0.00"),
            dt.datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=5)))),
    _result("deposit", None, Decimal("9999999999999999.99"), Decimal("9999999999999999.99"),
            dt.datetime(2030, 12, 31, tzinfo=dt.UTC)),
    _result("transfer", 3, Decimal("5"), Decimal("1234.5"),
            dt.datetime(2026, 6, 1, 0, 0, 1, 5, tzinfo=dt.UTC), description="Rent, «März» 🏠 \"quoted\""),
    _result("refund", 7, Decimal("4.00"), Decimal("6.00"), dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            receiver_id=3, original_id=41, description="One ticket was not used"),
    _result("reversal", 7, Decimal("4.00"), Decimal("0.00"), dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            receiver_id=None, original_id=40, description="Charged back"),
])
def test_direct_body_equals_the_declared_fields_body(result):
    fast = MovementOutputSerializer(result).data
    generic = serializers.Serializer.to_representation(MovementOutputSerializer(result), result)
    assert fast == generic
    assert list(fast) == list(generic) and list(fast["transaction"]) == list(generic["transaction"])
    assert isinstance(fast["balance"], str) and isinstance(fast["transaction"]["amount"], str)
