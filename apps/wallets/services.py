"""Every write to a wallet balance happens here, under row locks."""
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from apps.core.exceptions import (
    AccountInactive,
    BalanceLimitExceeded,
    InsufficientFunds,
    ReceiverNotFound,
    SelfTransfer,
)
from apps.core.fields import MAX_AMOUNT
from apps.transactions.models import Transaction
from apps.transactions.services import receipt_schedule
from apps.wallets import movement_sql
from apps.wallets.models import Wallet
from apps.wallets.selectors import wallets_lock

# SQLite (the embedded default) keeps decimals as 8-byte floats: exact to 15
# significant digits, so its wallets hold at most 13 integer digits.
SQLITE_MAX_BALANCE = Decimal("9999999999999.99")


def max_balance() -> Decimal:
    return SQLITE_MAX_BALANCE if connection.vendor == "sqlite" else MAX_AMOUNT


@dataclass(frozen=True)
class MovementResult:
    transaction: Transaction
    balance: Decimal  # the acting wallet's balance after the movement


def wallet_create(*, user) -> Wallet:
    return Wallet.objects.create(user=user)


def _credit_check(wallet: Wallet, amount: Decimal) -> Decimal:
    new_balance = wallet.balance + amount
    if new_balance > max_balance():
        raise BalanceLimitExceeded()
    return new_balance


def _record(*, kind: str, sender_id: int | None, receiver_id: int, amount: Decimal) -> Transaction:
    """Move the balances and write the movement to the log (wallets already locked)."""
    now = timezone.now()
    deltas = {receiver_id: amount} if sender_id is None else {sender_id: -amount, receiver_id: amount}
    movement_sql.balances_apply(deltas, now=now)
    txn = movement_sql.movement_insert(kind=kind, sender_id=sender_id, receiver_id=receiver_id,
                                       amount=amount, now=now)
    # The receipt is produced in the background, after commit: a rolled-back
    # movement enqueues nothing, and a broker outage cannot fail this one.
    transaction.on_commit(partial(receipt_schedule, txn.pk))
    return txn


def transfer_create(*, sender_id: int, receiver_id: int, amount: Decimal) -> MovementResult:
    """Move ``amount`` from the sender's wallet to the receiver's, atomically.

    Both wallets are locked in one query (ascending id order), funds are
    checked under the lock, both balances and the log rows are written in
    the same database transaction: it all happens or none of it does.
    """
    if sender_id == receiver_id:
        raise SelfTransfer()
    with transaction.atomic():
        wallets = wallets_lock(user_ids=(sender_id, receiver_id))
        sender = wallets.get(sender_id)
        receiver = wallets.get(receiver_id)
        if sender is None:
            raise AccountInactive()
        if receiver is None:
            raise ReceiverNotFound()
        if sender.balance < amount:
            raise InsufficientFunds()
        _credit_check(receiver, amount)
        txn = _record(kind=Transaction.Kind.TRANSFER, sender_id=sender_id, receiver_id=receiver_id,
                      amount=amount)
    return MovementResult(transaction=txn, balance=sender.balance - amount)


def deposit_create(*, user_id: int, amount: Decimal) -> MovementResult:
    """Credit ``amount`` to a user's wallet from outside the system."""
    with transaction.atomic():
        wallet = wallets_lock(user_ids=(user_id,)).get(user_id)
        if wallet is None:
            raise ReceiverNotFound()
        new_balance = _credit_check(wallet, amount)
        txn = _record(kind=Transaction.Kind.DEPOSIT, sender_id=None, receiver_id=user_id, amount=amount)
    return MovementResult(transaction=txn, balance=new_balance)
