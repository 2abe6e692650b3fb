"""Refunds and reversals under concurrency: real threads, each with its own PostgreSQL connection."""
from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.transactions.ledger import ledger_verify
from apps.transactions.models import Transaction
from apps.wallets.selectors import wallet_balances
from apps.wallets.services import (
    MovementResult,
    deposit_create,
    refund_create,
    reversal_create,
    transfer_create,
)
from tests.e2e.test_hold_concurrency import race
from tests.support.factories import balance_of

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def returned(original) -> Decimal:
    return Transaction.objects.filter(original=original).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def test_ten_simultaneous_full_refunds_give_one_201_and_nine_refusals(make_user):
    alice, bob = make_user(balance="100.00"), make_user(balance="500.00")  # bob could pay ten times over
    paid = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("40.00")).transaction
    results = race([lambda: refund_create(transaction_id=paid.pk, user_id=bob.pk)] * 10)

    assert sum(isinstance(r, MovementResult) for r in results) == 1, results
    assert sorted(r for r in results if not isinstance(r, MovementResult)) == ["already_fully_returned"] * 9
    assert returned(paid) == Decimal("40.00")
    assert (balance_of(alice), balance_of(bob)) == (Decimal("100.00"), Decimal("500.00"))
    assert ledger_verify(balances=wallet_balances()).ok


def test_twenty_simultaneous_partial_returns_never_sum_past_the_original(make_user):
    alice, bob = make_user(balance="100.00"), make_user(balance="500.00")
    paid = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("50.00")).transaction
    calls = [lambda: refund_create(transaction_id=paid.pk, user_id=bob.pk, amount=Decimal("7.00"))] * 10
    calls += [lambda: reversal_create(transaction_id=paid.pk, amount=Decimal("7.00"), reason="Race")] * 10
    results = race(calls)

    won = [r for r in results if isinstance(r, MovementResult)]
    assert len(won) == 7, results  # 7 x 7.00 = 49.00; an eighth would pass 50.00
    refused = sorted(r for r in results if not isinstance(r, MovementResult))
    assert refused == ["amount_exceeds_remaining"] * 13
    assert returned(paid) == Decimal("49.00")
    assert (balance_of(alice), balance_of(bob)) == (Decimal("99.00"), Decimal("501.00"))
    assert ledger_verify(balances=wallet_balances()).ok


@pytest.mark.parametrize("round_", range(3))
def test_a_refund_racing_a_transfer_of_the_same_money_one_wins(make_user, round_):
    alice, bob, shop = make_user(balance="100.00"), make_user(), make_user()
    paid = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.00")).transaction
    refund, spend = race([lambda: refund_create(transaction_id=paid.pk, user_id=bob.pk),
                          lambda: transfer_create(sender_id=bob.pk, receiver_id=shop.pk,
                                                  amount=Decimal("30.00"))])

    outcomes = (isinstance(refund, MovementResult), isinstance(spend, MovementResult))
    assert outcomes in ((True, False), (False, True)), (refund, spend)
    assert balance_of(bob) == Decimal("0.00")
    if outcomes[0]:
        assert spend == "insufficient_funds"
        assert (balance_of(alice), balance_of(shop)) == (Decimal("100.00"), Decimal("0.00"))
    else:
        assert refund == "insufficient_funds"
        assert (balance_of(alice), balance_of(shop)) == (Decimal("70.00"), Decimal("30.00"))
        assert returned(paid) == Decimal("0")
    assert ledger_verify(balances=wallet_balances()).ok


def test_deposit_reversals_and_deposits_racing_keep_world_consistent(make_user):
    bob = make_user()
    deposits = [deposit_create(user_id=bob.pk, amount=Decimal("10.00")).transaction for _ in range(5)]
    calls = [lambda d=d: reversal_create(transaction_id=d.pk, reason="Charged back") for d in deposits]
    calls += [lambda: deposit_create(user_id=bob.pk, amount=Decimal("1.00"))] * 5
    results = race(calls)

    assert all(isinstance(r, MovementResult) for r in results), results
    assert balance_of(bob) == Decimal("5.00")
    assert ledger_verify(balances=wallet_balances()).ok
