"""The money services called directly: each refusal, the result, and Idempotency-Key handling."""
from decimal import Decimal

import pytest

from apps.core.exceptions import IdempotencyKeyReused
from apps.core.idempotency import IdempotentRequest, Replay
from apps.core.models import IdempotencyKey
from apps.core.money import MAX_AMOUNT
from apps.receipts.models import Receipt
from apps.transactions.models import LedgerEntry, SystemAccount, Transaction
from apps.wallets.exceptions import (
    AccountInactive,
    BalanceLimitExceeded,
    InsufficientFunds,
    ReceiverNotFound,
    SelfTransfer,
)
from apps.wallets.serializers import MovementOutputSerializer
from apps.wallets.services import MovementResult, deposit_create, transfer_create
from tests.support.factories import balance_of

pytestmark = pytest.mark.django_db
UNKNOWN_USER_ID = 2**62


def state(*users) -> tuple:
    """What a refused movement must leave untouched."""
    return ([balance_of(user) for user in users], Transaction.objects.count(),
            LedgerEntry.objects.count(), Receipt.objects.count(), IdempotencyKey.objects.count())


def deactivate(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def fill_to_the_limit(user, *, room: Decimal = Decimal("0.00")) -> None:
    """Deposit until the wallet holds ``MAX_AMOUNT - room``."""
    deposit_create(user_id=user.pk, amount=MAX_AMOUNT - room - balance_of(user))


# --- Success --------------------------------------------------------------------------

def test_transfer_returns_the_movement_and_the_sender_balance(alice, bob):
    result = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.25"))

    assert isinstance(result, MovementResult)
    assert result.balance == Decimal("69.75")
    txn = result.transaction
    assert (txn.kind, txn.sender_id, txn.receiver_id, txn.amount) == (
        Transaction.Kind.TRANSFER, alice.pk, bob.pk, Decimal("30.25"))
    assert Transaction.objects.get(pk=txn.pk).amount == Decimal("30.25")
    assert balance_of(alice) == Decimal("69.75")
    assert balance_of(bob) == Decimal("30.25")
    entries = LedgerEntry.objects.filter(transaction=txn)
    assert {(e.user_id, e.direction, e.counterparty_id, e.amount, e.balance_after) for e in entries} == {
        (alice.pk, LedgerEntry.Direction.SENT, bob.pk, Decimal("-30.25"), Decimal("69.75")),
        (bob.pk, LedgerEntry.Direction.RECEIVED, alice.pk, Decimal("30.25"), Decimal("30.25")),
    }


def test_transfer_of_the_whole_balance_empties_the_wallet(alice, bob):
    result = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("100.00"))
    assert result.balance == Decimal("0.00")
    assert balance_of(alice) == Decimal("0.00")


def test_transfer_may_fill_the_receiver_exactly_to_the_limit(alice, bob):
    fill_to_the_limit(bob, room=Decimal("1.00"))
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))
    assert balance_of(bob) == MAX_AMOUNT


def test_deposit_returns_the_movement_and_the_new_balance(bob):
    result = deposit_create(user_id=bob.pk, amount=Decimal("12.50"))

    assert isinstance(result, MovementResult)
    assert result.balance == Decimal("12.50")
    txn = result.transaction
    assert (txn.kind, txn.sender_id, txn.receiver_id, txn.amount) == (
        Transaction.Kind.DEPOSIT, None, bob.pk, Decimal("12.50"))
    assert balance_of(bob) == Decimal("12.50")
    # Money comes from the system account ``world``, the only account below zero.
    world = SystemAccount.objects.get(code="world")
    world_before = world.balance
    entries = LedgerEntry.objects.filter(transaction=txn)
    assert {(e.user_id, e.system_account_id, e.direction, e.counterparty_id, e.amount, e.balance_after)
            for e in entries} == {
        (bob.pk, None, LedgerEntry.Direction.RECEIVED, None, Decimal("12.50"), Decimal("12.50")),
        (None, world.pk, LedgerEntry.Direction.SENT, bob.pk, Decimal("-12.50"), world_before),
    }
    deposit_create(user_id=bob.pk, amount=Decimal("0.50"))
    world.refresh_from_db()
    assert world.balance == world_before - Decimal("0.50")


# --- Refusals: each raises its error and changes nothing ----------------------------------

def _self_transfer(alice, bob):
    return lambda: transfer_create(sender_id=alice.pk, receiver_id=alice.pk, amount=Decimal("1.00"))


def _inactive_sender(alice, bob):
    deactivate(alice)
    return lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))


def _unknown_receiver(alice, bob):
    return lambda: transfer_create(sender_id=alice.pk, receiver_id=UNKNOWN_USER_ID, amount=Decimal("1.00"))


def _inactive_receiver(alice, bob):
    deactivate(bob)
    return lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.00"))


def _insufficient_funds(alice, bob):
    return lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("100.01"))


def _transfer_over_the_limit(alice, bob):
    fill_to_the_limit(bob, room=Decimal("1.00"))
    return lambda: transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("1.01"))


def _deposit_to_unknown_user(alice, bob):
    return lambda: deposit_create(user_id=UNKNOWN_USER_ID, amount=Decimal("1.00"))


def _deposit_to_inactive_user(alice, bob):
    deactivate(bob)
    return lambda: deposit_create(user_id=bob.pk, amount=Decimal("1.00"))


def _deposit_over_the_limit(alice, bob):
    fill_to_the_limit(bob)
    return lambda: deposit_create(user_id=bob.pk, amount=Decimal("0.01"))


REFUSALS = {
    "self transfer": (SelfTransfer, _self_transfer),
    "inactive sender": (AccountInactive, _inactive_sender),
    "unknown receiver": (ReceiverNotFound, _unknown_receiver),
    "inactive receiver": (ReceiverNotFound, _inactive_receiver),
    "insufficient funds": (InsufficientFunds, _insufficient_funds),
    "transfer over the balance limit": (BalanceLimitExceeded, _transfer_over_the_limit),
    "deposit to an unknown user": (ReceiverNotFound, _deposit_to_unknown_user),
    "deposit to an inactive user": (ReceiverNotFound, _deposit_to_inactive_user),
    "deposit over the balance limit": (BalanceLimitExceeded, _deposit_over_the_limit),
}


@pytest.mark.parametrize(("error", "prepare"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusal_raises_its_error_and_changes_nothing(alice, bob, error, prepare):
    attempt = prepare(alice, bob)
    before = state(alice, bob)

    with pytest.raises(error) as refused:
        attempt()

    assert type(refused.value) is error
    assert state(alice, bob) == before


def test_refusal_statuses():
    assert AccountInactive.status_code == 403
    assert {SelfTransfer.status_code, ReceiverNotFound.status_code, InsufficientFunds.status_code,
            BalanceLimitExceeded.status_code} == {400}


# --- Idempotency-Key -----------------------------------------------------------------

def key_of(user, *, key: str = "order-1", fingerprint: str = "body-1") -> IdempotentRequest:
    return IdempotentRequest(user_id=user.pk, key=key, fingerprint=fingerprint)


def test_same_key_replays_the_first_response_without_moving_money_again(alice, bob):
    first = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00"),
                            idempotency=key_of(alice))
    after_first = state(alice, bob)

    second = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00"),
                             idempotency=key_of(alice))

    assert isinstance(first, MovementResult)
    assert isinstance(second, Replay)
    assert second.status == 201
    assert second.body == MovementOutputSerializer(first).data
    assert second.body["transaction"]["id"] == first.transaction.pk
    assert second.body["balance"] == "90.00"
    assert state(alice, bob) == after_first
    assert balance_of(alice) == Decimal("90.00")


def test_same_key_replays_a_deposit(bob):
    first = deposit_create(user_id=bob.pk, amount=Decimal("5.00"), idempotency=key_of(bob))
    second = deposit_create(user_id=bob.pk, amount=Decimal("5.00"), idempotency=key_of(bob))
    assert isinstance(second, Replay)
    assert second.body["transaction"]["id"] == first.transaction.pk
    assert balance_of(bob) == Decimal("5.00")


def test_same_key_with_another_request_is_refused(alice, bob):
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00"),
                    idempotency=key_of(alice))
    before = state(alice, bob)

    with pytest.raises(IdempotencyKeyReused):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("11.00"),
                        idempotency=key_of(alice, fingerprint="body-2"))

    assert state(alice, bob) == before


def test_keys_belong_to_one_user(alice, bob):
    transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("10.00"),
                    idempotency=key_of(alice))
    result = transfer_create(sender_id=bob.pk, receiver_id=alice.pk, amount=Decimal("10.00"),
                             idempotency=key_of(bob))
    assert isinstance(result, MovementResult)
    assert balance_of(alice) == Decimal("100.00")


def test_a_refusal_does_not_use_the_key_up(alice, bob):
    with pytest.raises(InsufficientFunds):
        transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("500.00"),
                        idempotency=key_of(alice))
    assert not IdempotencyKey.objects.filter(user_id=alice.pk, key="order-1").exists()

    # The corrected request, under the same key, is carried out (neither replayed nor refused).
    retried = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("50.00"),
                              idempotency=key_of(alice, fingerprint="body-2"))
    assert isinstance(retried, MovementResult)
    assert balance_of(bob) == Decimal("50.00")
    assert IdempotencyKey.objects.filter(user_id=alice.pk, key="order-1").count() == 1
