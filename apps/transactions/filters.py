import django_filters

from apps.transactions.models import LedgerEntry, Transaction


class HistoryFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(choices=LedgerEntry.Direction.choices)
    kind = django_filters.ChoiceFilter(field_name="transaction__kind", choices=Transaction.Kind.choices)
    counterparty = django_filters.NumberFilter(
        field_name="counterparty_id", min_value=1, help_text="The other party's user id.",
    )
    min_amount = django_filters.NumberFilter(field_name="transaction__amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(field_name="transaction__amount", lookup_expr="lte")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="transaction__created_at", lookup_expr="gte", help_text="ISO 8601, inclusive.",
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="transaction__created_at", lookup_expr="lt", help_text="ISO 8601, exclusive.",
    )

    class Meta:
        model = LedgerEntry
        fields = []
