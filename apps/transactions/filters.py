from datetime import timedelta

import django_filters
from django import forms

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
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive.",
    )
    created_before = UTCIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive.",
    )

    class Meta:
        model = LedgerEntry
        fields = []


STATEMENT_MAX_DAYS = 366
# The range's refusals, written once: the filter sends them, the schema's examples show them.
RANGE_INVALID_CODE, RANGE_INVALID = "invalid_range", "Must be later than `from`."
RANGE_TOO_LONG_CODE = "range_too_long"
RANGE_TOO_LONG = f"The range may span at most {STATEMENT_MAX_DAYS} days."

_RANGE_HELP = ("ISO 8601 date (`2026-03-01`, midnight UTC) or date-time with an offset "
               "(`2026-03-01T00:00:00%2B02:00`, `…Z`).")


class StatementRangeForm(forms.Form):
    """``to`` later than ``from``, and at most ``STATEMENT_MAX_DAYS`` days after it."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start is not None and end is not None:
            if end <= start:
                self.add_error("to", forms.ValidationError(RANGE_INVALID, code=RANGE_INVALID_CODE))
            elif end - start > timedelta(days=STATEMENT_MAX_DAYS):
                self.add_error("to", forms.ValidationError(RANGE_TOO_LONG, code=RANGE_TOO_LONG_CODE))
        return cleaned


class StatementFilter(django_filters.FilterSet):
    """``from`` (inclusive) and ``to`` (exclusive), both required, at most 366 days apart."""

    start = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte", required=True,
                                 help_text=f"Inclusive. {_RANGE_HELP}")
    end = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt", required=True,
                               help_text=f"Exclusive. {_RANGE_HELP}")

    class Meta:
        model = LedgerEntry
        fields = []
        form = StatementRangeForm


# The query parameters are ``from`` and ``to``, which no Python attribute can be called.
StatementFilter.base_filters = {"from": StatementFilter.base_filters["start"],
                                "to": StatementFilter.base_filters["end"]}


class ExportFilter(HistoryFilter):
    """The history's filters, and the statement's range: optional here, of any length, and like
    ``created_after`` / ``created_before`` a range that selects nothing is an empty file, not a 400."""

    start = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                 help_text=f"Inclusive. {_RANGE_HELP}")
    end = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt",
                               help_text=f"Exclusive. {_RANGE_HELP}")

    class Meta:
        model = LedgerEntry
        fields = []


_export_filters = dict(ExportFilter.base_filters)
_export_filters["from"], _export_filters["to"] = _export_filters.pop("start"), _export_filters.pop("end")
ExportFilter.base_filters = _export_filters
