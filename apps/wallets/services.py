"""Every write to a wallet balance happens here, one function per movement.

Each movement is one outermost, durable database transaction that reads top
to bottom: claim the Idempotency-Key (if any), lock the wallets, check, write
the balances and the ledger rows (the owed receipt among them: an outbox row
that the receipt relay renders after the commit), store the response for the
key. Nothing here talks to the broker. Nothing can nest a movement inside a
longer transaction (``durable=True``), so the wallet locks are held exactly
as long as shown.
"""
import datetime as dt
import functools
import logging
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus

from django.conf import settings
from django.utils import timezone

from apps.core.exceptions import ApiError
from apps.core.idempotency import IdempotentRequest, Replay, idempotent_atomic
from apps.core.metrics import MONEY_MOVEMENTS
from apps.core.money import MAX_AMOUNT, ZERO
from apps.core.request_context import context_bind, context_describe
from apps.core.sql import StatementPart
from apps.transactions.ledger import movement_record
from apps.transactions.models import Transaction
from apps.transactions.selectors import LockedOriginal, original_lock, returned_amount
from apps.wallets.balance_sql import balances_apply
from apps.wallets.exceptions import (
    AccountInactive,
    AlreadyFullyReturned,
    AmountExceedsRemaining,
    BalanceLimitExceeded,
    InsufficientFunds,
    NotRefundable,
    NotTheReceiver,
    ReceiverNotFound,
    ReturnInsufficientFunds,
    SelfTransfer,
    TransactionNotFound,
)
from apps.wallets.hold_sql import holds_release_expired
from apps.wallets.models import Wallet
from apps.wallets.selectors import LockedWallet, wallets_lock
from apps.wallets.serializers import MovementOutputSerializer
from apps.webhooks.services import movement_events_part

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


def expired_holds_release(wallet: LockedWallet, *, now) -> Decimal:
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


def events_part(kind: str, sender: LockedWallet | None, receiver: LockedWallet | None, *,
                at: dt.datetime) -> StatementPart | None:
    """The movement's webhook events for its statement; none at all when no party has an enabled
    endpoint (the lock query said so), which keeps them off the statement of nearly every movement."""
    if not any(wallet is not None and wallet.hooked for wallet in (sender, receiver)):
        return None
    return movement_events_part(kind=kind, sender_id=None if sender is None else sender.user_id,
                                receiver_id=None if receiver is None else receiver.user_id, at=at)


def _observed(kind: str):
    """Count and log each call of a movement service: its outcome, and the transaction it made.

    The outcome is ``completed``, ``replayed`` (an Idempotency-Key's stored
    answer), the refusal's code (``insufficient_funds``...) or ``error``. The
    transaction's id, kind and amount, and whether it was replayed, are told
    by the request's own log line (bound to its context); a movement outside
    a request, or a request's second, writes a line of its own. No query: the
    counters live in memory.
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
            MONEY_MOVEMENTS.labels(kind, "replayed" if replayed else "completed").inc()
            if replayed:
                stored = result.body.get("transaction") or {}
                transaction_id, amount = stored.get("id"), stored.get("amount")
            else:
                transaction_id, amount = result.transaction.pk, str(result.transaction.amount)
            fields = {"transaction_id": transaction_id, "kind": kind, "amount": amount, "replayed": replayed}
            # A request's movement is told by the request's own line; any other by a line of its own.
            if not context_describe(**fields):
                logger.info("%s %s %s", kind, transaction_id, "replayed" if replayed else "committed",
                            extra=fields)
            return result
        return observed
    return decorate


def _movement_response(result: MovementResult) -> dict:
    """The 201 body, as stored for an Idempotency-Key's replays."""
    return MovementOutputSerializer(result).data


def _movement_once(idempotency: IdempotentRequest | None, work) -> MovementResult | Replay:
    """A movement's one durable transaction with its Idempotency-Key (``idempotent_atomic``)."""
    return idempotent_atomic(idempotency, work, status=HTTPStatus.CREATED, body=_movement_response)


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
    def work() -> MovementResult:
        if sender_id == receiver_id:
            raise SelfTransfer()
        wallets = wallets_lock(user_ids=(sender_id, receiver_id))
        sender, receiver = wallets.get(sender_id), wallets.get(receiver_id)
        if sender is None:
            raise AccountInactive()
        if receiver is None:
            raise ReceiverNotFound()
        now = timezone.now()
        released = expired_holds_release(sender, now=now)
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
                              receiver_balance=receiver.balance + amount, description=description,
                              also=events_part(Transaction.Kind.TRANSFER, sender, receiver, at=now))
        return MovementResult(transaction=txn, balance=sender_after)

    return _movement_once(idempotency, work)


@_observed(Transaction.Kind.DEPOSIT)
def deposit_create(*, user_id: int, amount: Decimal, description: str = "",
                   idempotency: IdempotentRequest | None = None) -> MovementResult | Replay:
    """Credit ``amount`` to a user's wallet from outside the system (staff, or a command)."""
    def work() -> MovementResult:
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
                              description=description,
                              also=events_part(Transaction.Kind.DEPOSIT, None, wallet, at=now))
        return MovementResult(transaction=txn, balance=balance_after)

    return _movement_once(idempotency, work)


# --- Refunds and reversals -------------------------------------------------------------

def _refund_check(original: LockedOriginal, *, user_id: int, now) -> None:
    """Only the receiver of a transfer, within ``REFUND_WINDOW_DAYS``; anyone else as if it did not exist."""
    if user_id not in (original.sender_id, original.receiver_id):
        raise TransactionNotFound()
    if original.kind not in Transaction.RETURNS[Transaction.Kind.REFUND]:
        raise NotRefundable.deposit() if original.kind == Transaction.Kind.DEPOSIT else NotRefundable()
    if user_id != original.receiver_id:
        raise NotTheReceiver()
    if now - original.created_at > dt.timedelta(days=settings.REFUND_WINDOW_DAYS):
        raise NotRefundable.too_old(settings.REFUND_WINDOW_DAYS)


def _reversal_check(original: LockedOriginal, *, user_id: int, now) -> None:
    if original.kind not in Transaction.RETURNS[Transaction.Kind.REVERSAL]:
        raise NotRefundable()


def _return_create(*, kind: str, check, transaction_id: int, user_id: int, amount: Decimal | None,
                   description: str, idempotency: IdempotentRequest | None) -> MovementResult | Replay:
    """Give back ``amount`` (default: all that remains) of a transaction, the way it came.

    The lock order is the original's row, then the wallets (ascending id, as
    every movement takes them): returns of one original take turns, and
    nothing locks a wallet and then a transaction, so no cycle can form. Under
    the original's lock, what remains is its amount less the returns already
    committed (summed, never stored: the original row is immutable). The
    wallet that gives back is checked against its available money (holds
    count, expired ones are released first): no balance goes below zero.
    The database checks the same rules again as the row is inserted
    (migration 0013).
    """
    def work() -> MovementResult:
        original = original_lock(transaction_id=transaction_id)
        if original is None:
            raise TransactionNotFound()
        now = timezone.now()
        check(original, user_id=user_id, now=now)
        remaining = original.amount - returned_amount(original_id=original.id)
        if remaining <= 0:
            raise AlreadyFullyReturned()
        taken = remaining if amount is None else amount
        if taken > remaining:
            raise AmountExceedsRemaining.with_remaining(remaining)

        # Back the way it came: the original's receiver pays, its sender (none: world) is paid.
        payer_id, payee_id = original.receiver_id, original.sender_id
        wallets = wallets_lock(user_ids=[i for i in (payer_id, payee_id) if i is not None])
        payer, payee = wallets.get(payer_id), wallets.get(payee_id)
        if payer is None:
            raise AccountInactive()
        if payee_id is not None and payee is None:
            raise ReceiverNotFound()
        released = expired_holds_release(payer, now=now)
        if payer.available + released < taken:
            raise ReturnInsufficientFunds()
        deltas = {payer_id: -taken}
        if payee is not None:
            credit_check(payee, taken)
            deltas[payee_id] = taken

        payer_after = payer.balance - taken
        balances_apply(deltas, now=now, held={payer_id: -released} if released else None)
        txn = movement_record(kind=kind, sender_id=payer_id, receiver_id=payee_id, amount=taken,
                              now=now, sender_balance=payer_after,
                              receiver_balance=None if payee is None else payee.balance + taken,
                              description=description, original_id=original.id,
                              also=events_part(kind, payer, payee, at=now))
        return MovementResult(transaction=txn, balance=payer_after)

    return _movement_once(idempotency, work)


@_observed(Transaction.Kind.REFUND)
def refund_create(*, transaction_id: int, user_id: int, amount: Decimal | None = None,
                  description: str = "", idempotency: IdempotentRequest | None = None
                  ) -> MovementResult | Replay:
    """The receiver of a transfer gives back ``amount`` (default: all that remains) to its sender."""
    return _return_create(kind=Transaction.Kind.REFUND, check=_refund_check, transaction_id=transaction_id,
                          user_id=user_id, amount=amount, description=description, idempotency=idempotency)


@_observed(Transaction.Kind.REVERSAL)
def reversal_create(*, transaction_id: int, reason: str, amount: Decimal | None = None,
                    staff_id: int | None = None, idempotency: IdempotentRequest | None = None
                    ) -> MovementResult | Replay:
    """Staff move ``amount`` (default: all that remains) of a transfer or a deposit back the way it came.

    A transfer's money goes from its receiver back to its sender, a deposit's
    from the wallet back to ``world``. ``reason`` is the reversal's memo, on
    its receipts and in both parties' histories. No age limit.
    """
    return _return_create(kind=Transaction.Kind.REVERSAL, check=_reversal_check,
                          transaction_id=transaction_id, user_id=staff_id, amount=amount, description=reason,
                          idempotency=idempotency)
