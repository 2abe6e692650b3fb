"""Refusals of a money movement: raised by the wallet services, answered by the one error handler."""
from rest_framework import status

from apps.core.exceptions import ApiError


class ReceiverNotFound(ApiError):
    code = "receiver_not_found"
    message = "The receiver does not exist or cannot receive funds."


class SelfTransfer(ApiError):
    code = "self_transfer"
    message = "You cannot transfer money to yourself."


class InsufficientFunds(ApiError):
    code = "insufficient_funds"
    message = "The wallet balance is too low for this transfer."


class BalanceLimitExceeded(ApiError):
    code = "balance_limit_exceeded"
    message = "The receiving wallet cannot hold that much money."


class AccountInactive(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "account_inactive"
    message = "This account is disabled."


# --- Holds ------------------------------------------------------------------------------

class PayeeNotFound(ApiError):
    code = "payee_not_found"
    message = "The payee does not exist or cannot receive funds."


class SelfHold(ApiError):
    code = "self_hold"
    message = "You cannot hold money for yourself."


class AmountExceedsHold(ApiError):
    code = "amount_exceeds_hold"
    message = "The capture is larger than the hold."


class HoldNotActive(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "hold_not_active"
    message = "The hold is no longer active: it was captured, voided or has expired."

    @classmethod
    def with_status(cls, hold_status: str) -> "HoldNotActive":
        return cls(f"The hold is {hold_status}; only an active hold can be captured or voided.",
                   details={"status": hold_status})


class HoldExpired(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "hold_expired"
    message = "The hold has expired and can no longer be captured; its amount is available to the payer."


class HoldPartyInactive(AccountInactive):
    message = "An account of this hold is disabled."


class NotThePayee(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    message = "Only the payee can capture a hold."


# --- Refunds and reversals -------------------------------------------------------------

class NotRefundable(ApiError):
    """The transaction cannot be given back this way (its kind, its age, or who asks)."""

    status_code = status.HTTP_409_CONFLICT
    code = "not_refundable"
    message = "A refund or a reversal cannot itself be given back; correct it with a new transfer."

    @classmethod
    def deposit(cls) -> "NotRefundable":
        return cls("Only a transfer can be refunded; staff can reverse a deposit.")

    @classmethod
    def too_old(cls, days: int) -> "NotRefundable":
        return cls(f"A transfer can be refunded within {days} days; this one is older.",
                   details={"refund_window_days": days})


class NotTheReceiver(NotRefundable):
    """The transfer's sender asking for its refund (the code's one status, 409, like its other cases)."""

    message = "Only the receiver of a transfer can refund it."


class AmountExceedsRemaining(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "amount_exceeds_remaining"
    message = "The amount is more than what remains to be given back of the transaction."

    @classmethod
    def with_remaining(cls, remaining) -> "AmountExceedsRemaining":
        return cls(f"At most {remaining} remains to be given back of this transaction.",
                   details={"remaining": f"{remaining}"})


class AlreadyFullyReturned(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "already_fully_returned"
    message = "The whole amount of this transaction has already been given back."


class ReturnInsufficientFunds(InsufficientFunds):
    """A refund or a reversal the wallet that gives the money back cannot cover: nothing moved.

    409, not a transfer's 400: the request was valid when the money was there, and the
    same request succeeds again once it is (the one code answered with two statuses).
    """

    status_code = status.HTTP_409_CONFLICT
    message = "The wallet that gives the money back no longer holds that much available."


class TransactionNotFound(ApiError):
    """No such transaction, or (for a refund) the caller took no part in it: the same answer."""

    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Not found."
