"""The error mechanism: ``ApiError`` and the refusals of a request as such.

Each error has a stable machine-readable ``code`` and an HTTP status. The
apps define their own business refusals next to their services
(``apps/<app>/exceptions.py``); ``apps.core.exception_handler`` turns all of
them, and every DRF or Django error, into the single error body of the API.
"""
from rest_framework import status

from apps.core.money import AMOUNT_MALFORMED


class ApiError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "bad_request"
    message = "The request could not be processed."
    retry_after: int | None = None  # seconds, sent as the Retry-After header

    def __init__(self, message: str | None = None, *, details: dict | None = None):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)

    @classmethod
    def on_field(cls, field: str, message: str, *, code: str | None = None, prefixed: bool = False):
        """The refusal of one field, as the exception handler writes a field error: ``details``
        names the field with its own code (the class's by default); ``prefixed`` starts the
        top-level message with the field's name."""
        return cls(f"{field}: {message}" if prefixed else message,
                   details={field: [{"code": code or cls.code, "message": message}]})


# --- Invalid input --------------------------------------------------------------

class InvalidAmount(ApiError):
    """Raised by ``fields.AmountField`` as a field error, with the message saying what is wrong."""

    code = "invalid_amount"
    message = AMOUNT_MALFORMED


class InvalidFilter(ApiError):
    code = "invalid_filter"
    message = "A query parameter is not valid."

    @classmethod
    def on_param(cls, param: str, code: str, message: str) -> "InvalidFilter":
        return cls.on_field(param, message, code=code, prefixed=True)


# --- Requests refused before any service runs -----------------------------------

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

    @classmethod
    def for_limit(cls, limit: int) -> "RequestTooLarge":
        return cls(f"The request body must be at most {limit} bytes.")


class LengthRequired(ApiError):
    code = "length_required"
    message = "Send the request body with a Content-Length header; chunked bodies are not accepted."


class UnsupportedMediaType(ApiError):
    code = "unsupported_media_type"
    message = "The request body must be JSON (Content-Type: application/json)."


# --- The platform ----------------------------------------------------------------

class DatabaseUnavailable(ApiError):
    """A transient database failure (connection lost, server restarting): retrying is safe."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "database_unavailable"
    retry_after = 1
    message = ("The database could not complete the request. Retry shortly; when moving money, "
               "retry with the same Idempotency-Key so the request is applied at most once.")


# A body field the endpoint does not know (``fields.InputSerializer``): a validation code, no class.
UNKNOWN_FIELD_CODE = "unknown_field"
# Codes that a serializer field may raise and that become the top-level code.
FIELD_ERROR_CODES = {InvalidAmount.code, UNKNOWN_FIELD_CODE}
