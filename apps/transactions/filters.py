import django_filters

from apps.core.filters import AmountBoundFilter, IdFilter, UTCIsoDateTimeFilter
from apps.transactions.models import LedgerEntry, Transaction


class HistoryFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(choices=LedgerEntry.Direction.choices)
    kind = django_filters.ChoiceFilter(field_name="transaction__kind", choices=Transaction.Kind.choices)
    counterparty = IdFilter(field_name="counterparty_id", help_text="The other party's user id.")
    # Spelled and bounded like the stored amounts, so 1e999999 is a 400 rather than a database overflow.
    min_amount = AmountBoundFilter(field_name="transaction__amount", lookup_expr="gte")
    max_amount = AmountBoundFilter(field_name="transaction__amount", lookup_expr="lte")
    created_after = UTCIsoDateTimeFilter(
        field_name="transaction__created_at", lookup_expr="gte", help_text="ISO 8601, inclusive.",
    )
    created_before = UTCIsoDateTimeFilter(
        field_name="transaction__created_at", lookup_expr="lt", help_text="ISO 8601, exclusive.",
    )

    class Meta:
        model = LedgerEntry
        fields = []
