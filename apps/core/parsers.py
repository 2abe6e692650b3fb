"""JSON parsing that never lets money pass through a float."""
import decimal
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from apps.core.exceptions import RequestTooLarge


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid JSON value")


class DecimalJSONParser(JSONParser):
    """Parses JSON numbers with a fraction or exponent straight to ``Decimal``.

    Amounts are JSON strings only; a number still never passes through a float,
    so the field that refuses it sees exactly what was sent.

    ``NaN``/``Infinity`` literals are rejected outright. Bodies larger than
    ``API_MAX_BODY_BYTES`` are refused (``request_too_large``) without being
    read in full: DRF reads the stream itself, so Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not apply here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.API_MAX_BODY_BYTES
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge.for_limit(limit)
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge.for_limit(limit)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_float=decimal.Decimal,
                              parse_constant=_reject_constant)
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply") from exc
