"""Reads of webhook endpoints, deliveries and events, always scoped to their owner."""
import datetime as dt
import json

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet

from apps.transactions.selectors import transaction_history
from apps.transactions.serializers import HistoryItemSerializer
from apps.webhooks.events import event_public_id
from apps.webhooks.models import Delivery, Event, WebhookEndpoint


def endpoint_enabled_exists(user_id_field: str) -> Exists:
    """Whether the outer row's user (``user_id_field`` names its id) has an enabled endpoint: one
    index probe (``webhook_user_enabled_idx``). The money path's lock query asks it, so that a
    movement whose parties have no endpoint writes no events at all."""
    return Exists(WebhookEndpoint.objects.filter(user_id=OuterRef(user_id_field), enabled=True))


def endpoint_list(*, user_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(user_id=user_id)


def delivery_list(*, user_id: int, endpoint_id: int) -> QuerySet[Delivery]:
    """The endpoint's deliveries (none when the endpoint is not the user's), with their events."""
    return (Delivery.objects.filter(endpoint_id=endpoint_id, endpoint__user_id=user_id)
            .select_related("event"))


def event_list(*, user_id: int) -> QuerySet[Event]:
    return Event.objects.filter(user_id=user_id)


def event_body(event: Event, data: dict) -> str:
    """The JSON body of an event: ``{"id", "type", "created", "data"}``."""
    created = event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"id": event_public_id(event.pk), "type": event.type, "created": created,
                       "data": data}, separators=(",", ":"), ensure_ascii=False)


def events_render(events: list[Event]) -> dict[int, str]:
    """Each event's body: the transaction exactly as the history shows it to the event's user.

    One history query per user of the batch.
    """
    by_user: dict[int, list[Event]] = {}
    for event in events:
        by_user.setdefault(event.user_id, []).append(event)
    bodies = {}
    for user_id, own in by_user.items():
        entries = {entry.transaction_id: entry for entry in transaction_history(user_id=user_id)
                   .filter(transaction_id__in=[e.transaction_id for e in own])}
        for event in own:
            if event.subject:  # a hold, as it stood when the event happened
                bodies[event.pk] = event_body(event, json.loads(event.subject))
                continue
            entry = entries.get(event.transaction_id)
            data = HistoryItemSerializer(entry).data if entry is not None else None
            bodies[event.pk] = event_body(event, data)
    return bodies


def event_data(events: list[Event]) -> dict[int, dict]:
    """Each event as the API lists it: its stored body, or (before its first delivery) rendered now."""
    bodies = {event.pk: event.payload for event in events if event.payload}
    bodies.update(events_render([event for event in events if not event.payload]))
    return {pk: json.loads(body) for pk, body in bodies.items()}


def delivery_backlog() -> tuple[int, dt.datetime | None, int]:
    """``(owed, the oldest owed delivery's event time, failed)`` over the owed and failed rows only
    (each has its partial index); the delivered ones, nearly all of them, are not read."""
    pending, failed = Delivery.Status.PENDING, Delivery.Status.FAILED
    row = Delivery.objects.filter(status__in=(pending, failed)).aggregate(
        owed=Count("pk", filter=Q(status=pending)),
        failed=Count("pk", filter=Q(status=failed)),
        oldest=Min("created_at", filter=Q(status=pending)),
    )
    return row["owed"], row["oldest"], row["failed"]
