"""Every write to a wallet balance happens here, one function per movement.

Each movement is one outermost, durable database transaction that reads top
to bottom: claim the Idempotency-Key (if any), lock the wallets, check, write
the balances and the ledger rows (the owed receipt among them: an outbox row
that the receipt relay renders after the commit), store the response for the
key. Nothing here talks to the broker. Nothing can nest a movement inside a
longer transaction (``durable=True``), so the wallet locks are held exactly
as long as shown.
"""
import functools
import logging
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus

from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import ApiError
from apps.core.idempotency import (
    IdempotencyKeyTaken,
    IdempotentRequest,
    Replay,
    idempotency_key_claim,
    idempotency_key_complete,
    idempotency_replay,
)
from apps.core.metrics import MONEY_MOVEMENTS
from apps.core.money import MAX_AMOUNT, ZERO
from apps.core.request_context import context_bind
from apps.transactions.ledger import movement_record
from apps.transactions.models import Transaction
from apps.wallets.balance_sql import balances_apply
from apps.wallets.exceptions import (
    AccountInactive,
    BalanceLimitExceeded,
    InsufficientFunds,
    ReceiverNotFound,
    SelfTransfer,
)
from apps.wallets.hold_sql import holds_release_expired
from apps.wallets.models import Wallet
from apps.wallets.selectors import LockedWallet, wallets_lock
from apps.wallets.serializers import MovementOutputSerializer
from apps.webhooks.services import movement_events_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MovementResult:
    transaction: Transaction
    balance: Decimal  # the acting wallet's balance after the movement


# Set on a user whose creator calls ``wallet_create`` itself (see ``apps.wallets.signals``).
WALLET_CREATED_BY_SERVICE = "wallet_created_by_service"


def wallet_create(*, user) -> Wallet:
    """The new user's empty wallet; call it in the transaction that creates the user."""
    return Wallet.objects.create(user=user)


def credit_check(wallet: LockedWallet, amount: Decimal) -> None:
    if wallet.balance + amount > MAX_AMOUNT:
        raise BalanceLimitExceeded()


def _expired_holds_release(wallet: LockedWallet, *, now) -> Decimal:
    """Release the wallet's expired holds (one statement, only when it holds anything); their sum.

    A wallet without holds pays nothing for them: its ``held`` is 0 and no query runs. Holds it
    releases tell their parties (``hold.expired``) as the sweep would.
    """
    if not wallet.held:
        return ZERO
    released = holds_release_expired(payer_id=wallet.user_id, now=now)
    if released.count:
        from apps.wallets.holds import holds_expired_events  # holds build on this module

        holds_expired_events(hold_ids=released.hold_ids, at=now)
    return released.amount


def _observed(kind: str):
    """Count and log each call of a movement service: its outcome, and the transaction it made.

    The outcome is ``completed``, ``replayed`` (an Idempotency-Key's stored
    answer), the refusal's code (``insufficient_funds``...) or ``error``. The
    transaction's id and kind are bound to the request's log context, so its
    request log line names them too. No query: the counters live in memory.
    """
    kind = str(kind)

    def decorate(service):
        @functools.wraps(service)
        def observed(**kwargs):
            try:
                result = service(**kwargs)
            except ApiError as refusal:
                MONEY_MOVEMENTS.labels(kind, refusal.code).inc()
                context_bind(kind=kind)
                logger.info("%s refused: %s", kind, refusal.code, extra={"kind": kind, "code": refusal.code})
                raise
            except Exception:
                MONEY_MOVEMENTS.labels(kind, "error").inc()
                raise
            replayed = isinstance(result, Replay)
            if replayed:
                transaction_id = (result.body.get("transaction") or {}).get("id")
                amount = (result.body.get("transaction") or {}).get("amount")
            else:
                transaction_id, amount = result.transaction.pk, str(result.transaction.amount)
            MONEY_MOVEMENTS.labels(kind, "replayed" if replayed else "completed").inc()
            context_bind(transaction_id=transaction_id, kind=kind)
            logger.info("%s %s %s", kind, transaction_id, "replayed" if replayed else "committed", extra={
                "transaction_id": transaction_id, "kind": kind, "amount": amount, "replayed": replayed})
            return result
        return observed
    return decorate


def _movement_response(result: MovementResult) -> dict:
    """The 201 body, as stored for an Idempotency-Key's replays."""
    return MovementOutputSerializer(result).data


@_observed(Transaction.Kind.TRANSFER)
def transfer_create(*, sender_id: int, receiver_id: int, amount: Decimal, description: str = "",
                    idempotency: IdempotentRequest | None = None) -> MovementResult | Replay:
    """Move ``amount`` from the sender's wallet to the receiver's, atomically.

    Both wallets are locked in one query (ascending id order, so two transfers
    never deadlock), funds are checked under the lock, and both balances, the
    ledger rows, the owed receipt and the Idempotency-Key's response commit
    together: it all happens or none of it does. A key already used returns
    its ``Replay``.
    """
    try:
        with transaction.atomic(durable=True):
            key_id = idempotency_key_claim(idempotency)
            if sender_id == receiver_id:
                raise SelfTransfer()
            wallets = wallets_lock(user_ids=(sender_id, receiver_id))
            sender, receiver = wallets.get(sender_id), wallets.get(receiver_id)
            if sender is None:
                raise AccountInactive()
            if receiver is None:
                raise ReceiverNotFound()
            now = timezone.now()
            released = _expired_holds_release(sender, now=now)
            if sender.available + released < amount:
                raise InsufficientFunds()
            credit_check(receiver, amount)

            sender_after = sender.balance - amount
            balances_apply({sender_id: -amount, receiver_id: amount}, now=now,
                           held={sender_id: -released} if released else None)
            # The log row, both ledger entries and the owed receipt: after the commit, the
            # receipt relay renders it (no broker I/O here, nothing scheduled on commit).
            txn = movement_record(kind=Transaction.Kind.TRANSFER, sender_id=sender_id,
                                  receiver_id=receiver_id, amount=amount, now=now,
                                  sender_balance=sender_after,
                                  receiver_balance=receiver.balance + amount, description=description)
            movement_events_record(txn=txn)  # the parties' events and owed webhook deliveries
            result = MovementResult(transaction=txn, balance=sender_after)
            if key_id is not None:
                idempotency_key_complete(key_id, status=HTTPStatus.CREATED, body=_movement_response(result))
    except IdempotencyKeyTaken:
        return idempotency_replay(idempotency)
    return result


@_observed(Transaction.Kind.DEPOSIT)
def deposit_create(*, user_id: int, amount: Decimal, description: str = "",
                   idempotency: IdempotentRequest | None = None) -> MovementResult | Replay:
    """Credit ``amount`` to a user's wallet from outside the system (staff, or a command)."""
    try:
        with transaction.atomic(durable=True):
            key_id = idempotency_key_claim(idempotency)
            wallet = wallets_lock(user_ids=(user_id,)).get(user_id)
            if wallet is None:
                raise ReceiverNotFound()
            credit_check(wallet, amount)

            now = timezone.now()
            balance_after = wallet.balance + amount
            balances_apply({user_id: amount}, now=now)
            # The log row, its ledger entry and the owed receipt: after the commit, the receipt
            # relay renders it (no broker I/O here, nothing scheduled on commit).
            txn = movement_record(kind=Transaction.Kind.DEPOSIT, sender_id=None, receiver_id=user_id,
                                  amount=amount, now=now, receiver_balance=balance_after,
                                  description=description)
            movement_events_record(txn=txn)  # the receiver's event and owed webhook deliveries
            result = MovementResult(transaction=txn, balance=balance_after)
            if key_id is not None:
                idempotency_key_complete(key_id, status=HTTPStatus.CREATED, body=_movement_response(result))
    except IdempotencyKeyTaken:
        return idempotency_replay(idempotency)
    return result
