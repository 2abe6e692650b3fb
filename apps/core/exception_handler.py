"""The one place where errors become responses.

Every error body has the same shape::

    {"code": "insufficient_funds", "message": "...", "details": {...} | null}

``code`` is stable and machine-readable; ``details`` carries per-field errors
(``{"field": [{"code": ..., "message": ...}]}``) for validation failures.
"""
import logging

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.exceptions import FIELD_ERROR_CODES, ApiError, DatabaseUnavailable, UnsupportedMediaType

GENERIC_VALIDATION_CODE = "invalid_input"
logger = logging.getLogger(__name__)


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details}


def is_api_request(request) -> bool:
    """Errors outside DRF views are JSON everywhere but the admin, which keeps Django's HTML pages."""
    return not request.path.startswith("/admin/")


def json_error(code: str, message: str, status_code: int) -> JsonResponse:
    """The error body for answers given outside DRF (middleware, Django's error handlers)."""
    return JsonResponse(error_body(code, message), status=status_code)


def _field_errors(detail) -> dict:
    """Normalise DRF's nested ErrorDetail structure into field -> [{code, message}]."""
    if isinstance(detail, list):
        return {"non_field_errors": [_one(d) for d in detail]}
    out = {}
    for field, errors in detail.items():
        if isinstance(errors, dict):
            for sub, sub_errors in _field_errors(errors).items():
                out[f"{field}.{sub}"] = sub_errors
        else:
            errors = errors if isinstance(errors, list) else [errors]
            out[field] = [_one(e) for e in errors]
    return out


def _one(error) -> dict:
    if isinstance(error, (dict, list)):
        return {"code": GENERIC_VALIDATION_CODE, "message": str(error)}
    return {"code": getattr(error, "code", GENERIC_VALIDATION_CODE), "message": str(error)}


def _validation_response(exc: exceptions.ValidationError) -> Response:
    fields = _field_errors(exc.detail)
    codes = [e["code"] for errors in fields.values() for e in errors]
    code = next((c for c in codes if c in FIELD_ERROR_CODES), GENERIC_VALIDATION_CODE)
    first = next(iter(fields.items()), None)
    message = f"{first[0]}: {first[1][0]['message']}" if first else "Invalid input."
    return Response(error_body(code, message, fields), status=status.HTTP_400_BAD_REQUEST)


def _add_authenticate_header(response: Response, context) -> None:
    """A 401 says how to authenticate, as DRF does for its own authentication errors."""
    view, request = context.get("view"), context.get("request")
    header = view.get_authenticate_header(request) if view and request else None
    if header:
        response["WWW-Authenticate"] = header


def api_exception_handler(exc, context):
    if isinstance(exc, exceptions.UnsupportedMediaType):
        exc = UnsupportedMediaType()  # a bad body like any other: 400 with a code
    if isinstance(exc, (OperationalError, InterfaceError)):
        # Connection lost, server restarting, deadlock: transient. Django discards the
        # broken connection at the end of this request; the next one reconnects.
        logger.error("Database error answered with 503: %s", exc)
        exc = DatabaseUnavailable()
    if isinstance(exc, ApiError):
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            _add_authenticate_header(response, context)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a bug, left to Django's 500 handling
    detail = exc.detail if isinstance(exc, exceptions.APIException) else None
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    message = str(detail) if detail is not None and not isinstance(detail, (dict, list)) else (
        str(getattr(exc, "default_detail", "Error."))
    )
    response.data = error_body(code, message)
    return response
