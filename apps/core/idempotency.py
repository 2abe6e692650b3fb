"""Idempotent POSTs: the same ``Idempotency-Key`` and body replay the first response.

How a keyed request runs (``idempotent_response``):

1. Inside one ``transaction.atomic`` block, INSERT the key row first, then run
   the operation (e.g. ``transfer_create``), then store its response on the row.
   The key and the money movement commit together or not at all.
2. A concurrent request with the same key blocks on the unique (user, key)
   index until the first commits (PostgreSQL; on SQLite the IMMEDIATE
   transaction serializes writers anyway), then fails with IntegrityError:
   it re-reads the committed row and replays its response. No second movement.
3. A business refusal (insufficient funds, unknown receiver, ...) raises out of
   the block and rolls back the key row with everything else: a 4xx never
   burns the key, so a corrected retry with the same key proceeds. Invalid
   input (400 from the serializer) is rejected before the key is touched.
4. Same key, different body (fingerprint) -> 422 ``idempotency_key_reused``.
"""
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from apps.core.exceptions import IdempotencyKeyReused, InvalidIdempotencyKey
from apps.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = r"[\x20-\x7e]{1,255}"  # printable ASCII
_KEY_RE = re.compile(_KEY_PATTERN)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Optional, 1-255 printable ASCII characters, unique per request you mean. "
                "Retrying with the same key and body replays the original response "
                f"(with `{REPLAYED_HEADER}: true`) instead of moving money again; the same key "
                "with a different body is refused with 422 `idempotency_key_reused`. Keys are "
                "kept for at least 24 hours. A refused request (4xx) does not use the key up.",
    pattern=f"^{_KEY_PATTERN}$",
)


def idempotency_key_from(request) -> str | None:
    """The request's Idempotency-Key header, validated; None when absent."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY_RE.fullmatch(key):
        raise InvalidIdempotencyKey()
    return key


def request_fingerprint(*, method: str, path: str, data: dict) -> str:
    """sha256 of the method, path and canonical JSON of the validated body."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def idempotent(*, user_id: int, key: str, fingerprint: str,
               operation: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """Run ``operation`` at most once per (user, key); returns (status, body, replayed)."""
    inserted = False
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(user_id=user_id, key=key,
                                                request_fingerprint=fingerprint)
            inserted = True
            status, body = operation()
            IdempotencyKey.objects.filter(pk=row.pk).update(response_status=status, response_body=body)
    except IntegrityError:
        if inserted:
            raise  # the operation's own failure, not a duplicate key
        return _replay(user_id=user_id, key=key, fingerprint=fingerprint)
    return status, body, False


def _replay(*, user_id: int, key: str, fingerprint: str) -> tuple[int, dict, bool]:
    row = IdempotencyKey.objects.only("request_fingerprint", "response_status", "response_body").get(
        user_id=user_id, key=key,
    )
    if row.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return row.response_status, row.response_body, True


def idempotent_response(request, key: str | None, data: dict, operation: Callable[[], dict], *,
                        status: int) -> Response:
    """Run ``operation`` (returning a response body) at most once per Idempotency-Key.

    ``key`` is ``idempotency_key_from(request)``, read before the body is
    validated so that a bad header is reported first. Without a key the
    operation simply runs.
    """
    if key is None:
        return Response(operation(), status=status)
    fingerprint = request_fingerprint(method=request.method, path=request.path, data=data)
    result_status, body, replayed = idempotent(
        user_id=request.user.id, key=key, fingerprint=fingerprint,
        operation=lambda: (status, operation()),
    )
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return Response(body, status=result_status, headers=headers)


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than ``older_than`` (default IDEMPOTENCY_KEY_TTL_HOURS); returns how many."""
    if older_than is None:
        older_than = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
