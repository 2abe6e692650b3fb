"""Domain errors: each has a stable machine-readable ``code`` and an HTTP status.

Services raise these; ``apps.core.exception_handler`` turns them (and every
DRF or Django error) into the single error body shape of the API.
"""
from rest_framework import status


class ApiError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "bad_request"
    message = "The request could not be processed."
    retry_after: int | None = None  # seconds, sent as the Retry-After header

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


# --- Requests refused before any service runs, and tokens --------------------

class InvalidIdempotencyKey(ApiError):
    code = "invalid_idempotency_key"
    message = "The Idempotency-Key header must be 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class RequestTooLarge(ApiError):
    code = "request_too_large"
    message = "The request body is too large."


class LengthRequired(ApiError):
    code = "length_required"
    message = "Send the request body with a Content-Length header; chunked bodies are not accepted."


class UnsupportedMediaType(ApiError):
    code = "unsupported_media_type"
    message = "The request body must be JSON (Content-Type: application/json)."


class RefreshTokenInvalid(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "token_not_valid"
    message = "The refresh token is invalid, expired or already revoked."


class TokenAccountInactive(ApiError):
    """A valid refresh token whose account was disabled or no longer exists."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "no_active_account"
    message = "No active account found for the given token."


class DatabaseUnavailable(ApiError):
    """A transient database failure (connection lost, server restarting): retrying is safe."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "database_unavailable"
    retry_after = 1
    message = ("The database could not complete the request. Retry shortly; when moving money, "
               "retry with the same Idempotency-Key so the request is applied at most once.")


class ReceiptPending(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "receipt_pending"
    message = "The receipt is being produced; try again shortly."


class ReceiptLost(ReceiptPending):
    """A receipt that must be produced again: answered exactly like a pending one.

    Its row says ``ready`` but a file is gone from storage, or it was never
    produced and is too old for the sweep to find it.
    """


# Codes that a serializer field may raise and that become the top-level code.
FIELD_ERROR_CODES = {InvalidAmount.code, "unknown_field"}
