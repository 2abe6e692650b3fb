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
