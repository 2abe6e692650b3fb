import django_filters

from apps.webhooks.events import EventType
from apps.webhooks.models import Event


class EventFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=EventType.choices)

    class Meta:
        model = Event
        fields = []
