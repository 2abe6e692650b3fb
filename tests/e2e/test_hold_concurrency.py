"""Holds under concurrency: real threads, each with its own PostgreSQL connection."""
import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.core.exceptions import ApiError
from apps.transactions.ledger import ledger_verify
from apps.wallets.holds import hold_capture, hold_create, hold_void
from apps.wallets.models import Hold, Wallet
from apps.wallets.selectors import wallet_balances
from tests.support.factories import balance_of

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def race(calls) -> list:
    """Run every call at once (a barrier), each in its own thread; each one's result or ApiError code."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except ApiError as exc:
            results[i] = exc.code
        except Exception as exc:  # surfaced by the assertions
            results[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_ten_parallel_holds_of_20_on_100_let_exactly_five_through(make_user):
    payer, shop = make_user(balance="100.00"), make_user()
    results = race([lambda: hold_create(payer_id=payer.pk, payee_id=shop.pk, amount=Decimal("20.00"),
                                        expires_in=3600)] * 10)
    assert sum(isinstance(r, Hold) for r in results) == 5
    assert sorted(r for r in results if not isinstance(r, Hold)) == ["insufficient_funds"] * 5
    w = Wallet.objects.get(user=payer)
    assert (w.balance, w.held) == (Decimal("100.00"), Decimal("100.00"))


def test_twenty_parallel_captures_of_one_hold_let_exactly_one_through(make_user):
    payer, shop = make_user(balance="100.00"), make_user()
    held = hold_create(payer_id=payer.pk, payee_id=shop.pk, amount=Decimal("50.00"), expires_in=3600)
    results = race([lambda: hold_capture(hold_id=held.pk, payee_id=shop.pk, amount=Decimal("30.00"))] * 20)
    assert sum(isinstance(r, Hold) for r in results) == 1
    assert sorted(r for r in results if not isinstance(r, Hold)) == ["hold_not_active"] * 19
    assert (balance_of(payer), balance_of(shop)) == (Decimal("70.00"), Decimal("30.00"))
    assert Wallet.objects.get(user=payer).held == Decimal("0.00")
    assert ledger_verify(balances=wallet_balances()).ok


@pytest.mark.parametrize("round_", range(3))
def test_capture_and_void_racing_one_wins_and_balances_follow_it(make_user, round_):
    payer, shop = make_user(balance="100.00"), make_user()
    held = hold_create(payer_id=payer.pk, payee_id=shop.pk, amount=Decimal("40.00"), expires_in=3600)
    captured, voided = race([lambda: hold_capture(hold_id=held.pk, payee_id=shop.pk),
                             lambda: hold_void(hold_id=held.pk, user_id=payer.pk)])
    outcomes = {isinstance(captured, Hold), isinstance(voided, Hold)}
    assert outcomes == {True, False}, (captured, voided)
    status = Hold.objects.get(pk=held.pk).status
    if isinstance(captured, Hold):
        assert (status, voided) == ("captured", "hold_not_active")
        assert (balance_of(payer), balance_of(shop)) == (Decimal("60.00"), Decimal("40.00"))
    else:
        assert (status, captured) == ("voided", "hold_not_active")
        assert (balance_of(payer), balance_of(shop)) == (Decimal("100.00"), Decimal("0.00"))
    assert Wallet.objects.get(user=payer).held == Decimal("0.00")
