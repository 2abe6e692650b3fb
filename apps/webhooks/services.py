"""Webhook state changes: endpoints and their secrets, events written with a movement, and delivery.

The money path writes ``movement_events_part`` into the statement that writes
the movement itself: the same statement inserts the events and their owed
deliveries, and only for parties with an enabled endpoint that wants the type. Nothing here
talks to the broker. The webhook relay (``tasks.webhooks_relay``) claims due
deliveries with the shared outbox machinery (``apps.core.outbox``), renders
each event's body once, signs every attempt afresh and records the answers.
"""
import datetime as dt
import json
import logging
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.metrics import WEBHOOK_ATTEMPTS, WEBHOOK_CLAIMS, WEBHOOK_LEASE_EXPIRIES
from apps.core.outbox import Outbox
from apps.core.sql import StatementPart
from apps.webhooks import client
from apps.webhooks.addresses import UnsafeUrl, url_check
from apps.webhooks.events import MOVEMENT_EVENTS, event_public_id
from apps.webhooks.exceptions import WebhookDisabled, WebhookLimitReached, WebhookUrlRefused
from apps.webhooks.models import Delivery, Event, WebhookEndpoint
from apps.webhooks.selectors import events_render
from apps.webhooks.signing import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    salt_new,
    secret_derive,
    signature_header,
)

logger = logging.getLogger(__name__)
USER_AGENT = "Wallet-Webhooks/1"


def _retry_window() -> timedelta:
    return timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


# --- Endpoints ------------------------------------------------------------------------

@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown once: when created, and when rotated


def _url_checked(url: str) -> str:
    try:
        url_check(url)
    except UnsafeUrl as exc:
        raise WebhookUrlRefused.on_field("url", str(exc), prefixed=True) from None
    return url


def endpoint_create(*, user_id: int, url: str, events: list[str],
                    description: str = "") -> EndpointWithSecret:
    """Register an endpoint (at most ``WEBHOOK_MAX_ENDPOINTS`` per user); its secret, shown once."""
    _url_checked(url)
    with transaction.atomic():
        # The user's row is the lock that keeps two registrations at once under the limit.
        get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk").get()
        if WebhookEndpoint.objects.filter(user_id=user_id).count() >= settings.WEBHOOK_MAX_ENDPOINTS:
            raise WebhookLimitReached.for_limit(settings.WEBHOOK_MAX_ENDPOINTS)
        endpoint = WebhookEndpoint.objects.create(user_id=user_id, url=url, events=sorted(set(events)),
                                                  description=description, secret_salt=salt_new())
    return EndpointWithSecret(endpoint, secret_derive(endpoint.secret_salt))


def endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change the URL, the event types, the description or whether it is enabled.

    Enabling an endpoint clears why it was disabled and its failure streak.
    """
    if "url" in changes:
        _url_checked(changes["url"])
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    if changes.get("enabled"):
        changes.update(disabled_reason="", failing_since=None)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its deliveries (owed ones are never sent)."""
    endpoint.delete()


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> EndpointWithSecret:
    """A new secret; the previous one signs too for ``WEBHOOK_ROTATION_OVERLAP_HOURS``."""
    endpoint.previous_secret_salt = endpoint.secret_salt
    endpoint.previous_expires_at = timezone.now() + timedelta(hours=settings.WEBHOOK_ROTATION_OVERLAP_HOURS)
    endpoint.secret_salt = salt_new()
    endpoint.save(update_fields=["previous_secret_salt", "previous_expires_at", "secret_salt", "updated_at"])
    return EndpointWithSecret(endpoint, secret_derive(endpoint.secret_salt))


def endpoint_secrets(endpoint: WebhookEndpoint, now: dt.datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous during its overlap."""
    secrets = [secret_derive(endpoint.secret_salt)]
    if endpoint.previous_secret_salt and endpoint.previous_expires_at and endpoint.previous_expires_at > now:
        secrets.append(secret_derive(endpoint.previous_secret_salt))
    return secrets


# --- Events, written with the movement -----------------------------------------------

def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _events_ctes(parties: int, *, subject: str, subject_value: str, source: str) -> tuple[str, str]:
    """The events of the parties whose enabled endpoints want them, and one owed delivery per endpoint.

    Two data-modifying CTE bodies (``ev`` and the deliveries selected from it): when no party has
    such an endpoint, they insert nothing. ``subject`` is the event's subject column (a transaction
    or a hold), ``subject_value`` the SQL of its value, ``source`` what the rows are selected from
    besides the parties (the movement's own ``t``, or nothing).
    """
    endpoint, event, delivery = _table(WebhookEndpoint), _table(Event), _table(Delivery)
    wants = "ep.user_id = p.usr AND ep.enabled AND p.typ = ANY(ep.events)"
    rows = ", ".join(["(%s::bigint, %s::varchar)"] * parties)
    events = (f"INSERT INTO {event} (user_id, type, {subject}, subject, created_at, payload) "
              f"SELECT p.usr, p.typ, {subject_value}, %s, %s, '' "
              f"FROM {source}(VALUES {rows}) AS p (usr, typ) "
              f"WHERE EXISTS (SELECT 1 FROM {endpoint} ep WHERE {wants}) "
              f"RETURNING id, user_id AS usr, type AS typ")
    deliveries = (f"INSERT INTO {delivery} (event_id, endpoint_id, status, attempts, due_at, retry_until, "
                  f"last_error, last_response_body, created_at, updated_at) "
                  f"SELECT p.id, ep.id, 'pending', 0, %s, %s, '', '', %s, %s "
                  f"FROM ev AS p JOIN {endpoint} ep ON {wants}")
    return events, deliveries


def _owed_params(at: dt.datetime) -> list:
    """An owed delivery's ``due_at``, ``retry_until``, ``created_at`` and ``updated_at``: due at
    ``at`` (the event's time), retried until the window ends."""
    when = connection.ops.adapt_datetimefield_value(at)
    until = connection.ops.adapt_datetimefield_value(at + _retry_window())
    return [when, until, when, when]


def movement_events_part(*, kind: str, sender_id: int | None, receiver_id: int | None,
                         at: dt.datetime) -> StatementPart:
    """The movement's events and owed deliveries, as CTEs of the movement's own statement.

    Each party gets its own event (the sender ``transfer.sent``, the receiver
    ``transfer.received``), written only when that party has an enabled
    endpoint wanting the type; the movement's row (``t``) names the
    transaction. Written by the statement that writes the movement
    (``apps.transactions.ledger.movement_record``): no round trip of its own,
    and a rolled-back movement takes them with it.
    """
    sender_type, receiver_type = MOVEMENT_EVENTS[str(kind)]
    parties = []
    if receiver_id is not None:  # none when a deposit's reversal takes money back to world
        parties.append((receiver_id, receiver_type.value))
    if sender_type is not None and sender_id is not None:
        parties.append((sender_id, sender_type.value))
    events, deliveries = _events_ctes(len(parties), subject="transaction_id", subject_value="t.id",
                                      source="t, ")
    owed = _owed_params(at)
    return StatementPart(f"ev AS ({events}), dv AS ({deliveries})",
                         ["", owed[0], *(v for party in parties for v in party), *owed])


def hold_events_record(*, holds: list[tuple[int, list[int], dict]], type: str, at: dt.datetime) -> None:
    """Write ``type`` events of holds for their parties; call it in the hold's own transaction.

    ``holds`` lists ``(hold id, the party user ids, the hold as the API shows it)``. As with a
    movement, only parties with an enabled endpoint wanting the type get one (one statement per
    hold, inserting nothing when no party has such an endpoint).
    """
    owed = _owed_params(at)
    with connection.cursor() as cursor:
        for hold_id, users, data in holds:
            subject = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            events, deliveries = _events_ctes(len(users), subject="hold_id", subject_value="%s", source="")
            cursor.execute(f"WITH ev AS ({events}) {deliveries}",
                           [hold_id, subject, owed[0], *(v for user in users for v in (user, type)), *owed])


def _payloads_fix(events: list[Event]) -> dict[int, str]:
    """The bodies of ``events``, rendering and storing those not rendered yet (first writer wins)."""
    missing = [event for event in events if not event.payload]
    if missing:
        rendered = events_render(missing)
        rows = ", ".join(["(%s::bigint, %s::text)"] * len(rendered))
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {_table(Event)} AS ev SET payload = v.body FROM (VALUES {rows}) "
                           f"AS v (id, body) WHERE ev.id = v.id AND ev.payload = ''",
                           [x for pair in rendered.items() for x in pair])
        stored = dict(Event.objects.filter(pk__in=list(rendered)).values_list("pk", "payload"))
        for event in missing:
            event.payload = stored[event.pk]
    return {event.pk: event.payload for event in events}


# --- Delivery: the relay ---------------------------------------------------------------

def retry_backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: the base, doubling, capped; plus up to 25 % jitter."""
    base = min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
               settings.WEBHOOK_RETRY_MAX_SECONDS)
    return timedelta(seconds=base * (1 + random.uniform(0, 0.25)))


class DeliveryOutbox(Outbox):
    """Deliveries: retried with backoff until ``retry_until`` (``WEBHOOK_RETRY_HOURS`` after the event)."""

    model = Delivery
    pending, failed = Delivery.Status.PENDING, Delivery.Status.FAILED
    label = "webhook delivery"
    retry_fields = ("retry_until",)

    def lease(self) -> timedelta:
        return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)

    def spent(self, now) -> Q:
        return Q(retry_until__lt=now)

    def spent_error(self) -> str:
        return f"Gave up: no attempt succeeded within {settings.WEBHOOK_RETRY_HOURS:g} hours."

    def retry_at(self, row, now):
        at = now + retry_backoff(row.attempts)
        return None if at > row.retry_until else at

    def observe_claim(self, *, claimed: int, spent: int, lease_expiries: int) -> None:
        WEBHOOK_CLAIMS.inc(claimed)
        WEBHOOK_ATTEMPTS.labels("failed").inc(spent)
        WEBHOOK_LEASE_EXPIRIES.inc(lease_expiries)

    def observe_failures(self, *, retried: int, gave_up: int) -> None:
        WEBHOOK_ATTEMPTS.labels("retry").inc(retried)
        WEBHOOK_ATTEMPTS.labels("failed").inc(gave_up)


DELIVERIES = DeliveryOutbox()


def deliveries_claim(*, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries (``SKIP LOCKED``, a lease): the shared outbox claim."""
    return DELIVERIES.claim(limit=limit)


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.WEBHOOK_CONCURRENCY, thread_name_prefix="webhook")


@dataclass(frozen=True)
class SendOutcome:
    succeeded: list[int]
    failed: dict[int, str]  # delivery id -> error


def _attempt(delivery: Delivery, body: str, now: dt.datetime) -> client.Answer:
    event = delivery.event
    raw = body.encode()
    timestamp = int(timezone.now().timestamp())  # each attempt is signed afresh
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(endpoint_secrets(delivery.endpoint, now), timestamp, raw),
        EVENT_ID_HEADER: event_public_id(event.pk), EVENT_TYPE_HEADER: event.type,
    }
    return client.post(delivery.endpoint.url, raw, headers)


def deliveries_send(*, delivery_ids: list[int]) -> SendOutcome:
    """Send a claimed batch, ``WEBHOOK_CONCURRENCY`` at a time, and record every answer.

    A 2xx ends a delivery; anything else (another status, a timeout, a
    refused connection, a TLS error, an address refused at connect time) is
    retried after a backoff (``DELIVERIES.attempts_failed``). A delivery whose
    endpoint is disabled fails at once.
    """
    deliveries = list(Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING)
                      .select_related("event", "endpoint", "event__transaction").order_by("id"))
    now = timezone.now()
    disabled = {d.pk: "The endpoint is disabled." for d in deliveries if not d.endpoint.enabled}
    if disabled:
        Delivery.objects.filter(pk__in=list(disabled)).update(
            status=Delivery.Status.FAILED, last_error="The endpoint is disabled.", updated_at=now)
        WEBHOOK_ATTEMPTS.labels("failed").inc(len(disabled))
    live = [d for d in deliveries if d.pk not in disabled]
    if not live:
        return SendOutcome([], disabled)
    bodies = _payloads_fix(list({d.event_id: d.event for d in live}.values()))
    answers = list(_executor().map(lambda d: _attempt(d, bodies[d.event_id], now), live))
    return _answers_record(live, answers, disabled)


def _answers_record(deliveries: list[Delivery], answers: list[client.Answer],
                    failed: dict[int, str]) -> SendOutcome:
    now = timezone.now()
    done, errors, extra = [], {}, {}
    ok_endpoints, failing_endpoints = set(), set()
    for delivery, answer in zip(deliveries, answers, strict=True):
        fields = {"last_status_code": answer.status, "last_duration_ms": answer.duration_ms,
                  "last_response_body": answer.body, "last_attempt_at": now}
        txn = delivery.event.transaction
        # The movement's request id, so a delivery's line joins its request's and its receipt's.
        logger.info("webhook delivery %s of %s: %s", delivery.pk, event_public_id(delivery.event_id),
                    answer.status or answer.error, extra={
                        "delivery_id": delivery.pk, "event_id": event_public_id(delivery.event_id),
                        "type": delivery.event.type, "endpoint_id": delivery.endpoint_id,
                        "status": answer.status, "duration_ms": answer.duration_ms, "ok": answer.ok,
                        "transaction_id": txn.pk if txn else None,
                        "request_id": txn.request_id if txn else ""})
        if answer.ok:
            for name, value in fields.items():
                setattr(delivery, name, value)
            delivery.status, delivery.delivered_at = Delivery.Status.SUCCEEDED, now
            delivery.last_error, delivery.updated_at = "", now
            done.append(delivery)
            ok_endpoints.add(delivery.endpoint_id)
        else:
            errors[delivery.pk], extra[delivery.pk] = answer.error, fields
            failing_endpoints.add(delivery.endpoint_id)
    with transaction.atomic():
        Delivery.objects.filter(status=Delivery.Status.PENDING).bulk_update(done, [
            "status", "delivered_at", "last_error", "updated_at", "last_status_code", "last_duration_ms",
            "last_response_body", "last_attempt_at"])
        if errors:
            DELIVERIES.attempts_failed(errors=errors, extra=extra)
        _endpoint_health_record(ok=ok_endpoints, failing=failing_endpoints - ok_endpoints, now=now)
    WEBHOOK_ATTEMPTS.labels("delivered").inc(len(done))
    return SendOutcome([d.pk for d in done], {**failed, **errors})


def _endpoint_health_record(*, ok: set[int], failing: set[int], now: dt.datetime) -> None:
    """A success ends an endpoint's failure streak; a streak of ``WEBHOOK_RETRY_HOURS`` disables it."""
    if ok:
        WebhookEndpoint.objects.filter(pk__in=ok, failing_since__isnull=False).update(failing_since=None)
    if not failing:
        return
    WebhookEndpoint.objects.filter(pk__in=failing, failing_since__isnull=True).update(failing_since=now)
    hours = f"{settings.WEBHOOK_RETRY_HOURS:g}"
    disabled = WebhookEndpoint.objects.filter(
        pk__in=failing, enabled=True, failing_since__lte=now - _retry_window(),
    ).update(enabled=False, updated_at=now,
             disabled_reason=f"Disabled at {now:%Y-%m-%d %H:%M} UTC: every delivery attempt failed for "
                             f"{hours} hours.")
    if disabled:
        logger.warning("%s webhook endpoints disabled after failing for %s hours.", disabled, hours)


def deliveries_attempt_failed(*, errors: dict[int, str]) -> None:
    """Record failed attempts of a batch that broke before its answers were recorded."""
    DELIVERIES.attempts_failed(errors=errors)


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send the delivery again, now, with a fresh retry window (the same event id and body)."""
    if not delivery.endpoint.enabled:
        raise WebhookDisabled()
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING, attempts=0, due_at=now, retry_until=now + _retry_window(),
        last_error="", updated_at=now)
    delivery.refresh_from_db()
    return delivery
