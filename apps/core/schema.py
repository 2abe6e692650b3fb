"""OpenAPI pieces shared by every endpoint: the error body and its responses; the health checks.

A documented error is named by what raises it: an ``ApiError`` subclass, a DRF
(or simplejwt) ``APIException`` subclass, an instance of either when the
server answers with a message of its own, or, for the validation codes that no
class carries, an ``ErrorCode``. Its code, status, message and ``Retry-After``
are read from there, so each is written once and every example shows the
message the server sends.
"""
from collections import Counter
from dataclasses import dataclass, replace

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
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from apps.core.exception_handler import GENERIC_VALIDATION_CODE
from apps.core.exceptions import UNKNOWN_FIELD_CODE, ApiError, DatabaseUnavailable
from apps.core.fields import RefuseUnknownFieldsMixin
from apps.core.idempotency import HEADER, KEY_PATTERN, REPLAYED_HEADER

# --- Text fields: what the server refuses, as a pattern --------------------------------

def _escaped_ranges(chars: list[str]) -> str:
    """A regular expression character class body (without brackets) matching exactly ``chars``."""
    def escape(char: str) -> str:
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    runs: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(escape(chr(a)) if a == b else f"{escape(chr(a))}-{escape(chr(b))}" for a, b in runs)


# What DRF's ``trim_whitespace`` strips (``str.strip``), spelled out: ``\s`` differs between
# Python and the ECMA dialect of OpenAPI patterns.
_WHITESPACE = _escaped_ranges([chr(c) for c in range(0x3001) if chr(c).isspace()])
# Every DRF text field refuses a NUL character (ProhibitNullCharactersValidator).
TEXT_PATTERN = r"^[^\x00]*$"
# ... and a trimmed, required one refuses text that is only whitespace.
TRIMMED_TEXT_PATTERN = rf"^[{_WHITESPACE}]*[^{_WHITESPACE}\x00][^\x00]*$"


def text_field_pattern(field) -> str | None:
    """The pattern of a request text field that has none of its own: what its validation refuses."""
    if not isinstance(field, serializers.CharField) or field.read_only:
        return None
    if field.trim_whitespace and not field.allow_blank:
        return TRIMMED_TEXT_PATTERN
    return TEXT_PATTERN


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, telling what the server does that its defaults leave out.

    - Request bodies that refuse unknown fields say so (``additionalProperties: false``).
    - Request text fields carry the pattern of what they refuse (NUL, blank after trimming),
      and a field's ``schema_constraints`` (rules its validators do not show).
    - Responses declared with ``ApiResponse`` carry their headers.
    - Every operation documents 503 ``database_unavailable``: the exception handler turns
      any lost or refused database connection into it, whatever the endpoint (readiness
      declares a 503 of its own; liveness, with ``uses_database = False``, has none).
    """

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction != "request" or "properties" not in schema:
            return schema
        for name, field in serializer.fields.items():
            prop = schema["properties"].get(name)
            if prop is None:
                continue
            prop.update(getattr(field, "schema_constraints", {}))  # rules beyond the field's validators
            pattern = text_field_pattern(field)
            if pattern and prop.get("type") == "string" and not {"pattern", "format", "enum"} & set(prop):
                prop["pattern"] = pattern
        if isinstance(serializer, RefuseUnknownFieldsMixin):
            schema["additionalProperties"] = False
        return schema

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if isinstance(serializer, ApiResponse) and serializer.headers:
            response["headers"] = {**response.get("headers", {}), **serializer.headers}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if "503" not in responses and getattr(self.view, "uses_database", True):
            responses["503"] = self._get_response_for_code(ERROR_RESPONSES[503], "503", direction=direction)
        return responses


class ApiResponse(OpenApiResponse):
    """An ``OpenApiResponse`` that also declares response headers (OpenAPI header objects by name)."""

    def __init__(self, response=None, description="", examples=None, headers=None):
        super().__init__(response, description, examples)
        self.headers = headers or {}


def retry_after_header(*, required: bool) -> dict:
    return {
        "Retry-After": {
            "schema": {"type": "integer", "minimum": 0},
            "required": required,
            "description": "Seconds to wait before retrying.",
        }
    }


REPLAYED_RESPONSE_HEADER = {
    REPLAYED_HEADER: {
        "schema": {"type": "string", "enum": ["true"]},
        "required": False,
        "description": "Sent (`true`) when this is the stored response of an earlier request with "
                       "the same Idempotency-Key: nothing was done again.",
    }
}


# --- Errors -----------------------------------------------------------------------------

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
    """A top-level error code that no exception class carries, with an example of its answer.

    ``on`` gives the answer for one field, as the exception handler writes a validation error.
    """

    code: str
    status_code: int = status.HTTP_400_BAD_REQUEST
    message: str = ""
    details: dict | None = None

    def on(self, field: str, message: str, field_code: str | None = None) -> "ErrorCode":
        return replace(self, message=f"{field}: {message}",
                       details={field: [{"code": field_code or self.code, "message": message}]})


INVALID_INPUT = ErrorCode(GENERIC_VALIDATION_CODE)  # a body or query that fails validation
UNKNOWN_FIELD = ErrorCode(UNKNOWN_FIELD_CODE)  # a body field the endpoint does not know
REQUIRED = "This field is required."
# What the parser answers to a body that is not JSON (here: the body `x`).
JSON_PARSE_ERROR = drf_exceptions.ParseError("JSON parse error - Expecting value: line 1 column 1 (char 0)")


def unknown_field(field: str) -> ErrorCode:
    return UNKNOWN_FIELD.on(field, "Unknown field.")


def required_field(field: str) -> ErrorCode:
    return INVALID_INPUT.on(field, REQUIRED, "required")


def _is_class(error, base) -> bool:
    return isinstance(error, type) and issubclass(error, base)


def error_code(error) -> str:
    """The code answered for ``error``: its ``code`` (ApiError, ErrorCode), or DRF's ``default_code``."""
    if isinstance(error, drf_exceptions.APIException):
        code = getattr(error.detail, "code", None) or error.default_code
    else:
        code = getattr(error, "code", None) or getattr(error, "default_code", None)
    if not isinstance(code, str):
        raise TypeError(f"{error!r} is neither an error class nor an ErrorCode")
    return code


def error_message(error) -> str:
    """The message the server sends with ``error``."""
    if isinstance(error, ErrorCode):
        if not error.message:
            raise TypeError(f"{error!r} has no example message: document it with .on(field, message)")
        return error.message
    if isinstance(error, ApiError) or _is_class(error, ApiError):
        return error.message
    if isinstance(error, drf_exceptions.APIException) and not isinstance(error.detail, (dict, list)):
        return str(error.detail)
    return str(error.default_detail)  # as the exception handler answers a structured detail


def error_details(error) -> dict | None:
    return getattr(error, "details", None) if not isinstance(error, type) else None


def _retry_after(error) -> bool | None:
    """True: always answered with Retry-After; None: sometimes (throttling); False: never."""
    if isinstance(error, drf_exceptions.Throttled) or _is_class(error, drf_exceptions.Throttled):
        return None
    return getattr(error, "retry_after", None) is not None


def error_codes_text(errors) -> str:
    """The codes of ``errors`` for a description: "`a`, `b`"."""
    return ", ".join(f"`{error_code(error)}`" for error in errors)


def error_response(description: str, *errors) -> ApiResponse:
    """The error body, with one example per error that the operation answers under this status."""
    examples, seen = [], Counter()
    for error in errors:
        code = error_code(error)
        seen[code] += 1  # two refusals may share a code (an access and a refresh token not valid)
        name = code if seen[code] == 1 else f"{code}_{seen[code]}"
        examples.append(OpenApiExample(name, value={"code": code, "message": error_message(error),
                                                    "details": error_details(error)}))
    retry = [_retry_after(error) for error in errors]
    headers = retry_after_header(required=all(retry)) if any(r is not False for r in retry) else None
    return ApiResponse(ErrorSerializer, description=description, examples=examples, headers=headers)


ERROR_RESPONSES = {
    # simplejwt's AuthenticationFailed: an Authorization header that is not "Bearer <token>".
    401: error_response("Missing or invalid access token.", drf_exceptions.NotAuthenticated, InvalidToken,
                        AuthenticationFailed),
    429: error_response("Too many requests; retry after the number of seconds in Retry-After.",
                        drf_exceptions.Throttled(wait=60)),
    503: error_response("The database could not complete the request (connection lost or refused); "
                        "retry after Retry-After seconds, with the same Idempotency-Key when moving "
                        "money.", DatabaseUnavailable),
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


# --- The health checks ----------------------------------------------------------------

LivenessSerializer = inline_serializer(
    name="Liveness", fields={"status": serializers.ChoiceField(choices=["ok"])},
)


def _probe_schema(*, operation_id: str, summary: str, responses: dict):
    return extend_schema_view(get=extend_schema(operation_id=operation_id, tags=["health"], summary=summary,
                                                responses=responses))


liveness_schema = _probe_schema(
    operation_id="healthz",
    summary="Liveness (no authentication)",
    responses={
        200: OpenApiResponse(LivenessSerializer, description="The process serves HTTP. Nothing else "
                             "is checked: no database or broker round trip.", examples=[
            OpenApiExample("Alive", value={"status": "ok"}),
        ]),
    },
)

ReadinessSerializer = inline_serializer(
    name="Readiness",
    fields={
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "database": serializers.ChoiceField(choices=["ok", "down"]),
        "broker": serializers.ChoiceField(choices=["ok", "down", "not_configured"]),
    },
)

readiness_schema = _probe_schema(
    operation_id="readyz",
    summary="Readiness (no authentication)",
    responses={
        200: OpenApiResponse(ReadinessSerializer, description="The database (through the pooler, "
                             "when there is one) and the broker are reachable.", examples=[
            OpenApiExample("Ready", value={"status": "ok", "database": "ok", "broker": "ok"}),
        ]),
        503: OpenApiResponse(ReadinessSerializer, description="A dependency is down.", examples=[
            OpenApiExample("Broker down", value={"status": "unavailable", "database": "ok",
                                                 "broker": "down"}),
        ]),
    },
)
