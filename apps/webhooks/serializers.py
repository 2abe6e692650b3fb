from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import InputSerializer, StrictCharField
from apps.transactions.serializers import HistoryItemSerializer
from apps.webhooks.events import EventType, event_public_id
from apps.webhooks.models import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH, Delivery

URL_HELP = ("Where deliveries are POSTed: an `https` URL whose host resolves only to public addresses "
            "(never loopback, private, link-local or multicast); redirects are not followed. The host's "
            "labels are at most 63 characters each, 253 in all.")
EVENTS_HELP = "The event types this endpoint wants: " + ", ".join(f"`{t}`" for t in EventType.values) + "."


class StrictUrlField(StrictCharField):
    """A URL as a JSON string; whether it may receive webhooks is the service's check."""

    def __init__(self, **kwargs):
        super().__init__(max_length=URL_MAX_LENGTH, help_text=URL_HELP, **kwargs)
        self.validators.append(serializers.URLField().validators[-1])


def events_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), min_length=1,
                                 max_length=len(EventType), help_text=EVENTS_HELP, **kwargs)


class EndpointInputSerializer(InputSerializer):
    url = StrictUrlField()
    events = events_field()
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, default="",
                                  help_text="A note for yourself, e.g. what listens there.")


class EmptyInputSerializer(InputSerializer):
    """A body with nothing in it (`{}` or none): any field is refused."""


class EndpointUpdateSerializer(InputSerializer):
    url = StrictUrlField(required=False)
    events = events_field(required=False)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False)
    enabled = serializers.BooleanField(
        required=False, help_text="`false` pauses deliveries; `true` enables it again and clears "
                                  "`disabled_reason`.")

    def validate_enabled(self, value):
        if not isinstance(self.initial_data.get("enabled"), bool):
            raise serializers.ValidationError("Must be true or false.", code="invalid")
        return value


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(
        help_text="Why deliveries stopped, when the service disabled the endpoint; empty otherwise.")
    previous_secret_expires_at = serializers.DateTimeField(
        source="previous_expires_at", allow_null=True,
        help_text="After a rotation, until when the previous secret also signs deliveries.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EndpointSecretOutputSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret. Shown only now: keep it.")

    def to_representation(self, instance):
        """``instance`` is an ``EndpointWithSecret``: the endpoint's fields, then its secret."""
        data = EndpointOutputSerializer(instance.endpoint).data
        data["secret"] = instance.secret
        return data


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.SerializerMethodField()
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices)
    status = serializers.ChoiceField(choices=Delivery.Status.choices)
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True,
                                                help_text="Null when the last attempt got no HTTP answer.")
    last_duration_ms = serializers.IntegerField(allow_null=True)
    last_response_body = serializers.CharField(help_text="The first 1 KB of the last answer's body.")
    last_error = serializers.CharField(help_text="Why the last attempt failed; empty after a success.")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    next_attempt_at = serializers.SerializerMethodField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField())
    def get_event_id(self, delivery) -> str:
        return event_public_id(delivery.event_id)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery):
        if delivery.status != Delivery.Status.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.due_at)


class EventOutputSerializer(serializers.Serializer):
    """An event as delivered: the same JSON as a delivery's body."""

    id = serializers.CharField(help_text="Stable: a receiver deduplicates on it.")
    type = serializers.ChoiceField(choices=EventType.choices)
    created = serializers.DateTimeField()
    data = HistoryItemSerializer(help_text="The transaction exactly as the API shows it to you.")

    def to_representation(self, instance):
        return instance  # already the event's JSON (``selectors.event_data``)
