"""Domain errors: each has a stable machine-readable ``code`` and an HTTP status.

Services raise these; ``apps.core.exception_handler`` turns them (and every
DRF or Django error) into the single error body shape of the API.
"""
from rest_framework import status


class ApiError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class InvalidAmount(ApiError):
    code = "invalid_amount"
    message = "Amount must be a positive decimal with at most 2 decimal places."


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


class UsernameTaken(ApiError):
    code = "username_taken"
    message = "A user with that username already exists."


class InvalidPassword(ApiError):
    code = "invalid_password"
    message = "The password does not meet the password rules."


# Codes that a serializer field may raise and that become the top-level code.
FIELD_ERROR_CODES = {InvalidAmount.code, "unknown_field"}
