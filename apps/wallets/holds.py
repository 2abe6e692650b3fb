"""Holds: the payer's money reserved now, captured (up to its amount) or voided later, or expired.

Every write here locks the wallets first, in the same one ordered statement as transfers
(``wallets_lock``), so a hold, its capture, its void, a transfer of the payer and the expiry
sweep are serialized on the payer's wallet and never deadlock one another. The hold row is
re-read under that lock: whatever committed before is seen, so a hold is resolved once.

Creating a hold adds its amount to the payer wallet's ``held`` (``available`` = balance -
held drops, the balance does not); voiding, capturing or expiring it subtracts it again.
The database refuses a wallet whose ``held`` exceeds its balance. A capture is a transfer
from payer to payee (a balanced ledger movement with its owed receipt), linked to the hold.
"""
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from http import HTTPStatus

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.core.idempotency import IdempotentRequest, Replay, idempotent_atomic
from apps.core.money import ZERO
from apps.transactions.ledger import movement_record
from apps.transactions.models import Transaction
from apps.wallets.balance_sql import balances_apply
from apps.wallets.exceptions import (
    AccountInactive,
    AmountExceedsHold,
    HoldExpired,
    HoldNotActive,
    HoldPartyInactive,
    InsufficientFunds,
    NotThePayee,
    PayeeNotFound,
    SelfHold,
)
from apps.wallets.hold_sql import holds_release_expired
from apps.wallets.models import Hold, Wallet
from apps.wallets.selectors import LockedWallet, hold_for_party, wallets_lock
from apps.wallets.services import credit_check, events_part, expired_holds_release
from apps.webhooks.events import EventType
from apps.webhooks.services import hold_events_record


def _hold_response(hold: Hold) -> dict:
    from apps.wallets.serializers import HoldOutputSerializer  # the stored body of a replayed key

    return HoldOutputSerializer(hold).data


def _events(holds: list[Hold], event_type: str, *, at, locked: Iterable[LockedWallet] | None = None) -> None:
    """The holds' events for their payer and payee (those with an endpoint wanting the type).

    ``locked``: the parties' wallets as the lock query read them; when neither has an enabled
    endpoint, no statement runs at all (a movement's events are skipped the same way).
    """
    if locked is not None and not any(wallet.hooked for wallet in locked):
        return
    hold_events_record(holds=[(h.pk, [h.payer_id, h.payee_id], _hold_response(h)) for h in holds],
                       type=event_type, at=at)


def holds_expired_events(*, hold_ids: list[int], at) -> None:
    """``hold.expired`` for holds just released (by a movement of the payer or by the sweep)."""
    if hold_ids:
        _events(list(Hold.objects.select_related("payer", "payee").filter(pk__in=hold_ids).order_by("pk")),
                EventType.HOLD_EXPIRED, at=at)


def _once(idempotency: IdempotentRequest | None, work, *, status: int) -> Hold | Replay:
    """``work`` in one durable transaction with its Idempotency-Key, as every movement runs."""
    return idempotent_atomic(idempotency, work, status=status, body=_hold_response)


def hold_create(*, payer_id: int, payee_id: int, amount: Decimal, expires_in: int, description: str = "",
                idempotency: IdempotentRequest | None = None) -> Hold | Replay:
    """Reserve ``amount`` of the payer's available money for the payee until ``expires_in`` seconds."""

    def work() -> Hold:
        if payer_id == payee_id:
            raise SelfHold()
        wallets = wallets_lock(user_ids=(payer_id, payee_id))
        payer, payee = wallets.get(payer_id), wallets.get(payee_id)
        if payer is None:
            raise AccountInactive()
        if payee is None:
            raise PayeeNotFound()
        now = timezone.now()
        freed = expired_holds_release(payer, now=now)
        if payer.available + freed < amount:
            raise InsufficientFunds("The available balance is too low for this hold.")
        balances_apply({payer_id: ZERO}, now=now, held={payer_id: amount - freed})
        hold = Hold.objects.create(payer_id=payer_id, payee_id=payee_id, amount=amount,
                                   description=description, created_at=now,
                                   expires_at=now + dt.timedelta(seconds=expires_in))
        parties = get_user_model().objects.only("id", "username").in_bulk([payer_id, payee_id])
        hold.payer, hold.payee = parties[payer_id], parties[payee_id]
        _events([hold], EventType.HOLD_CREATED, at=now, locked=(payer, payee))
        return hold

    return _once(idempotency, work, status=HTTPStatus.CREATED)


def _resolve(*, hold_id: int, user_id: int, capture: bool):
    """Lock the hold's wallets, then re-read it: the active, unexpired hold and the locked wallets."""
    found = hold_for_party(hold_id=hold_id, user_id=user_id)
    if capture and found.payee_id != user_id:
        raise NotThePayee()
    wallets = wallets_lock(user_ids=(found.payer_id, found.payee_id))
    if found.payer_id not in wallets or found.payee_id not in wallets:
        raise HoldPartyInactive()
    # Read under the payer's lock: every earlier resolution of the hold is seen.
    hold = Hold.objects.select_related("payer", "payee").get(pk=hold_id)
    if hold.status != Hold.Status.ACTIVE:
        raise HoldNotActive.with_status(hold.status)
    now = timezone.now()
    if hold.expires_at <= now:
        if capture:
            raise HoldExpired()
        raise HoldNotActive.with_status(Hold.Status.EXPIRED)
    return hold, wallets, now


def hold_capture(*, hold_id: int, payee_id: int, amount: Decimal | None = None,
                 idempotency: IdempotentRequest | None = None) -> Hold | Replay:
    """Take ``amount`` (default: all) of an active hold: a transfer payer → payee; the rest is released."""

    def work() -> Hold:
        hold, wallets, now = _resolve(hold_id=hold_id, user_id=payee_id, capture=True)
        taken = hold.amount if amount is None else amount
        if taken > hold.amount:
            raise AmountExceedsHold()
        payer, payee = wallets[hold.payer_id], wallets[hold.payee_id]
        credit_check(payee, taken)
        balances_apply({hold.payer_id: -taken, hold.payee_id: taken}, now=now,
                       held={hold.payer_id: -hold.amount})
        txn = movement_record(kind=Transaction.Kind.TRANSFER, sender_id=hold.payer_id,
                              receiver_id=hold.payee_id, amount=taken, now=now,
                              sender_balance=payer.balance - taken,
                              receiver_balance=payee.balance + taken, description=hold.description,
                              # the capture is a transfer: transfer.sent and .received
                              also=events_part(Transaction.Kind.TRANSFER, payer, payee, at=now))
        Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.CAPTURED, captured_amount=taken,
                                               capture_transaction=txn, resolved_at=now)
        hold.status, hold.captured_amount, hold.capture_transaction, hold.resolved_at = (
            Hold.Status.CAPTURED, taken, txn, now)
        _events([hold], EventType.HOLD_CAPTURED, at=now, locked=(payer, payee))
        return hold

    return _once(idempotency, work, status=HTTPStatus.OK)


def hold_void(*, hold_id: int, user_id: int, idempotency: IdempotentRequest | None = None) -> Hold | Replay:
    """End an active hold without moving money (payer or payee); its amount is available again."""

    def work() -> Hold:
        hold, wallets, now = _resolve(hold_id=hold_id, user_id=user_id, capture=False)
        balances_apply({hold.payer_id: ZERO}, now=now, held={hold.payer_id: -hold.amount})
        Hold.objects.filter(pk=hold.pk).update(status=Hold.Status.VOIDED, resolved_at=now)
        hold.status, hold.resolved_at = Hold.Status.VOIDED, now
        _events([hold], EventType.HOLD_VOIDED, at=now, locked=wallets.values())
        return hold

    return _once(idempotency, work, status=HTTPStatus.OK)


def holds_expire(*, limit: int = 500) -> int:
    """Release every expired active hold (the periodic sweep), payer by payer; how many expired.

    Reads already leave expired holds out; this brings ``held`` and the holds' status in line.
    """
    now = timezone.now()
    payers = list(Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
                  .order_by().values_list("payer_id", flat=True).distinct()[:limit])
    expired = 0
    for payer_id in payers:
        with transaction.atomic(durable=True):
            # The payer's wallet row, whatever the owner's state: a disabled user's holds expire too.
            Wallet.objects.select_for_update(no_key=True).filter(user_id=payer_id).values_list("pk").first()
            released = holds_release_expired(payer_id=payer_id, now=now)
            if released.count:
                balances_apply({payer_id: ZERO}, now=now, held={payer_id: -released.amount})
                holds_expired_events(hold_ids=released.hold_ids, at=now)
            expired += released.count
    return expired
