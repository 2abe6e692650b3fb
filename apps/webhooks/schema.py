"""OpenAPI documentation of the webhook endpoints and the event list (kept apart from the view code)."""
from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions as drf_exceptions

from apps.core.schema import ERROR_RESPONSES, INVALID_INPUT, error_response, unknown_field
from apps.transactions.pagination import HistoryCursorPagination
from apps.transactions.schema import DEPOSIT_ITEM_EXAMPLE, HISTORY_ITEM_EXAMPLE
from apps.webhooks.events import EventType
from apps.webhooks.exceptions import WebhookDisabled, WebhookLimitReached, WebhookUrlRefused
from apps.webhooks.serializers import (
    DeliveryOutputSerializer,
    EndpointInputSerializer,
    EndpointOutputSerializer,
    EndpointSecretOutputSerializer,
    EndpointUpdateSerializer,
    EventOutputSerializer,
)

TAGS = ["webhooks"]
# No body, or `{}`: any field is refused (400 `unknown_field`).
EMPTY_BODY = {"application/json": {"type": "object", "properties": {}, "additionalProperties": False,
                                   "maxProperties": 0}}
ENDPOINT_EXAMPLE = {
    "id": 3, "url": "https://shop.example.com/wallet-events", "description": "Order fulfilment",
    "events": ["deposit.received", "transfer.received"], "enabled": True, "disabled_reason": "",
    "previous_secret_expires_at": None, "created_at": "2026-03-01T12:00:00Z",
    "updated_at": "2026-03-01T12:00:00Z",
}
SECRET = "whsec_3q2-7wAAAAAAexampleexampleexampleexample12"
DELIVERY_EXAMPLE = {
    "id": 901, "event_id": "evt_512", "event_type": "transfer.received", "status": "pending",
    "attempts": 2, "last_status_code": 500, "last_duration_ms": 41,
    "last_response_body": "upstream unavailable", "last_error": "The endpoint answered 500.",
    "last_attempt_at": "2026-03-01T12:00:10Z", "next_attempt_at": "2026-03-01T12:00:31Z",
    "delivered_at": None, "created_at": "2026-03-01T12:00:00Z",
}
EVENT_EXAMPLE = {"id": "evt_512", "type": "transfer.sent", "created": "2026-03-01T12:00:00Z",
                 "data": HISTORY_ITEM_EXAMPLE | {"receipt": {"status": "pending", "url": None}}}
DEPOSIT_EVENT_EXAMPLE = {"id": "evt_511", "type": "deposit.received", "created": "2026-03-01T11:00:00Z",
                         "data": DEPOSIT_ITEM_EXAMPLE | {"receipt": {"status": "pending", "url": None}}}

ID_PARAMETER = OpenApiParameter(
    "id", {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH, description="The endpoint id.",
)
DELIVERY_ID_PARAMETER = OpenApiParameter(
    "delivery_id", {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH, description="The delivery id.",
)
NOT_FOUND = error_response("No such endpoint of the caller (another user's endpoints are not found).",
                           drf_exceptions.NotFound)
URL_REFUSED = WebhookUrlRefused.on_field("url", "The URL must use https.", prefixed=True)
EVENT_REFUSED = INVALID_INPUT.on("events.0", '"account.closed" is not a valid choice.', "invalid_choice")
INVALID_FILTER = error_response("A query parameter is invalid or unknown; `details` names it.",
                                HistoryCursorPagination().page_size_refusal())
SIGNING = (
    "Each delivery is a POST of the event's JSON with `Wallet-Signature: t=<unix seconds>,v1=<hex>` "
    "(HMAC-SHA256 of `<t>.<raw body>` with the secret; one `v1` per valid secret during a rotation), "
    "`Wallet-Event-Id` and `Wallet-Event-Type`. See docs/webhooks.md for the receiver's check."
)

endpoint_schema = extend_schema_view(
    list=extend_schema(
        operation_id="webhooks_list", tags=TAGS, summary="The caller's webhook endpoints",
        description=f"At most {settings.WEBHOOK_MAX_ENDPOINTS}, newest first; secrets are never shown again.",
        responses={200: OpenApiResponse(EndpointOutputSerializer(many=True), description="The endpoints."),
                   401: ERROR_RESPONSES[401]},
        examples=[OpenApiExample("Endpoints", response_only=True, status_codes=["200"],
                                 value=[ENDPOINT_EXAMPLE])],
    ),
    create=extend_schema(
        operation_id="webhooks_create", tags=TAGS, summary="Register a webhook endpoint",
        description=(
            "The caller's wallet events of the chosen types are POSTed to `url`, signed with the "
            "`secret` returned here once (keep it; it is never shown again). " + SIGNING + " A 2xx "
            f"answer ends a delivery; anything else is retried with backoff for "
            f"{settings.WEBHOOK_RETRY_HOURS:g} hours. The URL must be `https` and resolve to public "
            f"addresses only (400 `{WebhookUrlRefused.code}`); at most {settings.WEBHOOK_MAX_ENDPOINTS} "
            f"endpoints per user (400 `{WebhookLimitReached.code}`)."
        ),
        request=EndpointInputSerializer,
        responses={
            201: OpenApiResponse(EndpointSecretOutputSerializer,
                                 description="Registered, with its secret."),
            400: error_response("The body is invalid, the URL may not receive webhooks, or the caller "
                                "has as many endpoints as allowed; `details` names the field.",
                                EVENT_REFUSED, unknown_field("secret"), URL_REFUSED,
                                WebhookLimitReached.for_limit(settings.WEBHOOK_MAX_ENDPOINTS)),
            401: ERROR_RESPONSES[401],
        },
        examples=[
            OpenApiExample("Register", request_only=True, value={
                "url": ENDPOINT_EXAMPLE["url"], "events": ENDPOINT_EXAMPLE["events"],
                "description": ENDPOINT_EXAMPLE["description"]}),
            OpenApiExample("Registered", response_only=True, status_codes=["201"],
                           value=ENDPOINT_EXAMPLE | {"secret": SECRET}),
        ],
    ),
    retrieve=extend_schema(
        operation_id="webhooks_retrieve", tags=TAGS, summary="One of the caller's webhook endpoints",
        parameters=[ID_PARAMETER],
        responses={200: OpenApiResponse(EndpointOutputSerializer, description="The endpoint."),
                   401: ERROR_RESPONSES[401], 404: NOT_FOUND},
        examples=[OpenApiExample("Endpoint", response_only=True, status_codes=["200"],
                                 value=ENDPOINT_EXAMPLE)],
    ),
    partial_update=extend_schema(
        operation_id="webhooks_update", tags=TAGS, summary="Change a webhook endpoint",
        description="Any of `url` (checked as at registration), `events`, `description` and `enabled`. "
                    "Enabling an endpoint the service disabled clears `disabled_reason`; deliveries "
                    "that failed meanwhile can be sent again with redeliver.",
        parameters=[ID_PARAMETER], request=EndpointUpdateSerializer,
        responses={
            200: OpenApiResponse(EndpointOutputSerializer, description="The endpoint as changed."),
            400: error_response("The body is invalid or the URL may not receive webhooks.",
                                URL_REFUSED, unknown_field("secret")),
            401: ERROR_RESPONSES[401], 404: NOT_FOUND,
        },
        examples=[OpenApiExample("Pause", request_only=True, value={"enabled": False}),
                  OpenApiExample("Paused", response_only=True, status_codes=["200"],
                                 value=ENDPOINT_EXAMPLE | {"enabled": False})],
    ),
    destroy=extend_schema(
        operation_id="webhooks_destroy", tags=TAGS, summary="Delete a webhook endpoint",
        description="Its owed deliveries are never sent; its events stay in `GET /api/events/`.",
        parameters=[ID_PARAMETER],
        responses={204: OpenApiResponse(description="Deleted."), 401: ERROR_RESPONSES[401], 404: NOT_FOUND},
    ),
)

rotate_schema = extend_schema(
    operation_id="webhooks_rotate_secret", tags=TAGS, summary="Rotate an endpoint's signing secret",
    description=(
        "A new secret, shown once. For the next "
        f"{settings.WEBHOOK_ROTATION_OVERLAP_HOURS:g} hours (`previous_secret_expires_at`) deliveries "
        "carry a `v1` signature under each secret, so the receiver can switch to the new one at leisure."
    ),
    request=EMPTY_BODY, parameters=[ID_PARAMETER],
    responses={200: OpenApiResponse(EndpointSecretOutputSerializer, description="The new secret."),
               400: error_response("The body is not empty.", unknown_field("secret")),
               401: ERROR_RESPONSES[401], 404: NOT_FOUND},
    examples=[OpenApiExample("Rotate", request_only=True, value={}),
              OpenApiExample("Rotated", response_only=True, status_codes=["200"], value=ENDPOINT_EXAMPLE | {
        "previous_secret_expires_at": "2026-03-02T12:00:00Z", "secret": SECRET})],
)

deliveries_schema = extend_schema(
    operation_id="webhooks_deliveries", tags=TAGS, summary="An endpoint's delivery log, newest first",
    description="Each delivery's state, attempts, last answer (status, duration, first 1 KB of the body) "
                "and next attempt. Cursor-paginated like the history.",
    parameters=[ID_PARAMETER],
    responses={200: OpenApiResponse(DeliveryOutputSerializer(many=True), description="A page of deliveries."),
               400: INVALID_FILTER, 401: ERROR_RESPONSES[401],
               404: NOT_FOUND},
    examples=[OpenApiExample("Retrying", response_only=True, status_codes=["200"], value=DELIVERY_EXAMPLE)],
)

redeliver_schema = extend_schema(
    operation_id="webhooks_redeliver", tags=TAGS, summary="Send a delivery again",
    description="The same event (same id and body) is sent again at once, signed afresh, with a fresh "
                f"retry window, whatever its state. 409 `{WebhookDisabled.code}` while the endpoint is "
                "disabled.",
    request=EMPTY_BODY, parameters=[ID_PARAMETER, DELIVERY_ID_PARAMETER],
    responses={
        400: error_response("The body is not empty.", unknown_field("event_id")),
        202: OpenApiResponse(DeliveryOutputSerializer, description="Owed again; sent within seconds."),
        401: ERROR_RESPONSES[401],
        404: error_response("No such endpoint of the caller, or no such delivery of it.",
                            drf_exceptions.NotFound),
        409: error_response("The endpoint is disabled.", WebhookDisabled),
    },
    examples=[OpenApiExample("Redeliver", request_only=True, value={}),
              OpenApiExample("Owed again", response_only=True, status_codes=["202"],
                             value=DELIVERY_EXAMPLE | {"attempts": 0, "last_error": "",
                                                       "next_attempt_at": "2026-03-01T13:00:00Z"})],
)

event_schema = extend_schema_view(
    list=extend_schema(
        operation_id="events_list", tags=["events"], summary="The caller's events, newest first",
        description=(
            "Events of the caller's wallet, each as its deliveries carry it, so a receiver that missed "
            "some can catch up. An event is written only while the caller has an enabled endpoint "
            "wanting its type. Cursor-paginated; `type` filters. Any invalid or unknown query "
            "parameter is a 400 `invalid_filter`."
        ),
        parameters=[OpenApiParameter("type", {"type": "string", "enum": EventType.values},
                                     description="Only events of this type.")],
        responses={200: OpenApiResponse(EventOutputSerializer(many=True), description="A page of events."),
                   400: INVALID_FILTER, 401: ERROR_RESPONSES[401]},
        examples=[OpenApiExample("Transfer sent", response_only=True, status_codes=["200"],
                                 value=EVENT_EXAMPLE),
                  OpenApiExample("Deposit received", response_only=True, status_codes=["200"],
                                 value=DEPOSIT_EVENT_EXAMPLE)],
    ),
)
