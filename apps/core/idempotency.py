"""Idempotent POSTs: the same ``Idempotency-Key`` and body replay the first response.

A money service claims the key in its own outermost transaction (see
``apps.wallets.services.transfer_create``):

1. ``idempotency_key_claim`` INSERTs the key row first, then the service locks,
   checks and writes, then ``idempotency_key_complete`` stores its response on
   the row. The key and the money movement commit together or not at all.
2. A concurrent request with the same key blocks on the unique (user, key)
   index until the first commits, then fails to insert: the claim
   raises ``IdempotencyKeyTaken``, the service's transaction rolls back, and
   ``idempotency_replay`` returns the committed response. No second movement.
3. A business refusal (insufficient funds, unknown receiver, ...) raises out of
   the block and rolls back the key row with everything else: a 4xx never
   burns the key, so a corrected retry with the same key proceeds. Invalid
   input (400 from the serializer) is rejected before the key is touched.
4. Same key, different body (fingerprint) -> 422 ``idempotency_key_reused``.
"""
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import IdempotencyKeyReused, InvalidIdempotencyKey
from apps.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"[\x20-\x7e]{1,255}"  # printable ASCII
_KEY_RE = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class IdempotentRequest:
    """A request sent with an Idempotency-Key: whose key, and what was asked."""

    user_id: int
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Replay:
    """The stored response of the request that first used the key."""

    status: int
    body: dict


class IdempotencyKeyTaken(Exception):
    """The key is already committed: raised inside the service's transaction, replayed outside it."""


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


def idempotent_request(request, key: str | None, data: dict) -> IdempotentRequest | None:
    """What a service needs to run this request at most once per key; None without a key."""
    if key is None:
        return None
    return IdempotentRequest(user_id=request.user.id, key=key, fingerprint=request_fingerprint(
        method=request.method, path=request.path, data=data))


def idempotent_input(request, serializer_class) -> tuple[dict, IdempotentRequest | None]:
    """A money request's validated body and what its service needs to run it at most once.

    The Idempotency-Key header is checked first: a malformed one is refused
    before the body is read. Every view that moves or holds money starts here.
    """
    key = idempotency_key_from(request)
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data, idempotent_request(request, key, body.validated_data)


def idempotency_key_claim(request: IdempotentRequest | None) -> int | None:
    """INSERT the key row (inside the caller's transaction); its id, or None without a key.

    Raises ``IdempotencyKeyTaken`` when the key is already committed: the
    caller's transaction must then end, and ``idempotency_replay`` answer.
    """
    if request is None:
        return None
    try:
        row = IdempotencyKey.objects.create(user_id=request.user_id, key=request.key,
                                            request_fingerprint=request.fingerprint)
    except IntegrityError as exc:
        raise IdempotencyKeyTaken() from exc
    return row.pk


def idempotency_key_complete(key_id: int | None, *, status: int, body: dict) -> None:
    """Store the response on the claimed key row, in the same transaction as the operation."""
    if key_id is not None:
        IdempotencyKey.objects.filter(pk=key_id).update(response_status=status, response_body=body)


def idempotency_replay(request: IdempotentRequest) -> Replay:
    """The committed response of the key's first request, if this request is the same one."""
    row = IdempotencyKey.objects.only("request_fingerprint", "response_status", "response_body").get(
        user_id=request.user_id, key=request.key,
    )
    if row.request_fingerprint != request.fingerprint:
        raise IdempotencyKeyReused()
    return Replay(status=row.response_status, body=row.response_body)


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than ``older_than`` (default IDEMPOTENCY_KEY_TTL_HOURS); returns how many."""
    if older_than is None:
        older_than = timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def idempotent_atomic(request: IdempotentRequest | None, work, *, status: int, body):
    """``work()`` in one durable database transaction with the key's claim and its stored answer.

    The key row is inserted first, ``work`` runs (its refusals roll the key back with
    everything else), then ``body(result)`` is stored on the row: the operation and its
    answer commit together. A key already committed ends the transaction and its first
    answer is replayed instead (a ``Replay``). ``durable``: nothing can nest it inside a
    longer transaction, so the locks ``work`` takes are held exactly as long as it runs.
    """
    try:
        with transaction.atomic(durable=True):
            key_id = idempotency_key_claim(request)
            result = work()
            if key_id is not None:
                idempotency_key_complete(key_id, status=status, body=body(result))
    except IdempotencyKeyTaken:
        return idempotency_replay(request)
    return result


def replayable_response(result, render, *, status: int):
    """The view's answer: ``render(result)`` with ``status``, or a key's stored first answer, marked."""
    from rest_framework.response import Response

    if isinstance(result, Replay):
        return Response(result.body, status=result.status, headers={REPLAYED_HEADER: "true"})
    return Response(render(result), status=status)
