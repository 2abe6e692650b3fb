"""OpenAPI pieces shared by every endpoint: the error body and its responses; the health check.

A documented error is named by what raises it: an ``ApiError`` subclass, a DRF
(or simplejwt) ``APIException`` subclass, or, for the validation codes that no
class carries, an ``ErrorCode``. Its code and status are read from there, so
each code is written once.
"""
from dataclasses import dataclass

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers, status
from rest_framework_simplejwt.exceptions import InvalidToken

from apps.core.exception_handler import GENERIC_VALIDATION_CODE
from apps.core.exceptions import UNKNOWN_FIELD_CODE, DatabaseUnavailable
from apps.core.fields import InputSerializer
from apps.core.idempotency import HEADER, KEY_PATTERN, REPLAYED_HEADER


class ApiAutoSchema(AutoSchema):
    """Request bodies that refuse unknown fields (``InputSerializer``) say so in the schema."""

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, InputSerializer) and "properties" in schema:
            schema["additionalProperties"] = False
        return schema


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable machine-readable error code."),
        "message": serializers.CharField(help_text="Human-readable explanation."),
        "details": serializers.DictField(
            allow_null=True,
            help_text="Per-field errors for invalid input: {field: [{code, message}]}.",
        ),
    },
)


@dataclass(frozen=True)
class ErrorCode:
    """A top-level error code that no exception class carries: a validation error's."""

    code: str
    status_code: int = status.HTTP_400_BAD_REQUEST


INVALID_INPUT = ErrorCode(GENERIC_VALIDATION_CODE)  # a body or query that fails validation
UNKNOWN_FIELD = ErrorCode(UNKNOWN_FIELD_CODE)  # a body field the endpoint does not know (InputSerializer)


def error_code(error) -> str:
    """The code answered for ``error``: its ``code`` (ApiError, ErrorCode), or DRF's ``default_code``."""
    code = getattr(error, "code", None) or getattr(error, "default_code", None)
    if not isinstance(code, str):
        raise TypeError(f"{error!r} is neither an error class nor an ErrorCode")
    return code


def error_codes_text(errors) -> str:
    """The codes of ``errors`` for a description: "`a`, `b`"."""
    return ", ".join(f"`{error_code(error)}`" for error in errors)


def error_response(description: str, *errors) -> OpenApiResponse:
    """The error body, with one example per error that the operation answers under this status."""
    examples = [
        OpenApiExample(code, value={"code": code, "message": description, "details": None})
        for code in map(error_code, errors)
    ]
    return OpenApiResponse(ErrorSerializer, description=description, examples=examples)


ERROR_RESPONSES = {
    400: error_response("Invalid input.", INVALID_INPUT, UNKNOWN_FIELD, drf_exceptions.ParseError),
    401: error_response("Missing or invalid access token.", drf_exceptions.NotAuthenticated, InvalidToken),
    403: error_response("Not allowed.", drf_exceptions.PermissionDenied),
    404: error_response("Not found.", drf_exceptions.NotFound),
    429: error_response("Too many requests; retry after the number of seconds in Retry-After.",
                        drf_exceptions.Throttled),
    503: error_response("The database could not complete the request; retry after Retry-After "
                        "seconds (with the same Idempotency-Key when moving money).",
                        DatabaseUnavailable),
}


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Optional, 1-255 printable ASCII characters, unique per request you mean. "
                "Retrying with the same key and body replays the original response "
                f"(with `{REPLAYED_HEADER}: true`) instead of moving money again; the same key "
                "with a different body is refused with 422 `idempotency_key_reused`. Keys are "
                "kept for at least 24 hours. A refused request (4xx) does not use the key up.",
    pattern=f"^{KEY_PATTERN}$",
)


# --- The health check ---------------------------------------------------------------

HealthSerializer = inline_serializer(
    name="Health",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "database": serializers.ChoiceField(choices=["ok", "down"]),
        "broker": serializers.ChoiceField(choices=["ok", "down", "not_configured"]),
    },
)

health_schema = extend_schema_view(get=extend_schema(
    operation_id="healthz",
    tags=["health"],
    summary="Health check (no authentication)",
    responses={
        200: OpenApiResponse(HealthSerializer, description="Everything is reachable.", examples=[
            OpenApiExample("Healthy", value={"status": "ok", "database": "ok", "broker": "ok"}),
        ]),
        503: OpenApiResponse(HealthSerializer, description="A dependency is down.", examples=[
            OpenApiExample("Broker down", value={"status": "unavailable", "database": "ok",
                                                 "broker": "down"}),
        ]),
    },
))
