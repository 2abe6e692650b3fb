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
