"""OpenAPI pieces shared by every endpoint: the error body and its responses."""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

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


def error_response(description: str, *codes: str) -> OpenApiResponse:
    examples = [
        OpenApiExample(code, value={"code": code, "message": description, "details": None})
        for code in codes
    ]
    return OpenApiResponse(ErrorSerializer, description=description, examples=examples)


ERROR_RESPONSES = {
    400: error_response("Invalid input.", "invalid_input", "unknown_field", "parse_error"),
    401: error_response("Missing or invalid access token.", "not_authenticated", "token_not_valid"),
    403: error_response("Not allowed.", "permission_denied"),
    404: error_response("Not found.", "not_found"),
    429: error_response("Too many requests; retry after the number of seconds in Retry-After.",
                        "throttled"),
    503: error_response("The database could not complete the request; retry after Retry-After "
                        "seconds (with the same Idempotency-Key when moving money).",
                        "database_unavailable"),
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
