from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from django_filters.filters import Filter, IsoDateTimeFilter
from django_filters.rest_framework import DjangoFilterBackend

from apps.core.exception_handler import GENERIC_VALIDATION_CODE
from apps.core.exceptions import InvalidFilter
from apps.core.ids import BIGINT_MAX, bigint_from_text
from apps.core.money import amount_problem


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, but an invalid or unknown query parameter is a 400, never ignored."""

    allowed_extra_params = ("cursor", "page_size")  # the pagination's own, when the view pages

    def filter_queryset(self, request, queryset, view):
        filterset = self.validated_filterset(request, queryset, view)
        return queryset if filterset is None else filterset.qs

    def validated_filterset(self, request, queryset, view):
        """The view's filterset, its values checked; ``InvalidFilter`` (400) names every bad parameter."""
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return None
        extra = self.allowed_extra_params if getattr(view, "paginator", None) is not None else ()
        unknown = set(request.query_params) - set(filterset.filters) - set(extra)
        details = {name: [{"code": "unknown_parameter", "message": "Unknown query parameter."}]
                   for name in sorted(unknown)}
        # A blank filter or cursor would be ignored (django-filter's rule; page_size refuses
        # it itself) and a repeated parameter would silently use its last value: both change
        # the meaning of the query, so both are refused.
        may_be_blank_ignored = {*filterset.filters, "cursor"}
        for name, values in sorted(request.query_params.lists()):
            if name in unknown:
                continue
            if len(values) > 1:
                details[name] = [{"code": "repeated_parameter", "message": "Give this parameter once."}]
            elif values[0] == "" and name in may_be_blank_ignored:
                details[name] = [{"code": "blank", "message": "This parameter must not be empty."}]
        if not filterset.is_valid():
            for name, errors in filterset.errors.get_json_data().items():
                details.setdefault(name, []).extend(
                    {"code": e.get("code") or GENERIC_VALIDATION_CODE, "message": e["message"]}
                    for e in errors)
        if details:
            first = next(iter(details))
            raise InvalidFilter(f"{first}: {details[first][0]['message']}", details=details)
        return filterset


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 (RFC 3339) datetime, normalised to UTC.

    Offsets the database cannot store (PostgreSQL allows at most +-15:59, ISO
    8601 up to +-23:59) never reach it. An instant that leaves Python's range
    when moved to UTC (``0001-01-01T00:00:00+01:00`` is in year 0) is before or
    after every transaction: it becomes the first or last representable
    instant, which selects the same rows, never a database error.
    """

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            early = parsed.replace(tzinfo=None) < datetime.max - timedelta(days=2)
            return (datetime.min if early else datetime.max).replace(tzinfo=UTC)


class UTCIsoDateTimeFilter(IsoDateTimeFilter):
    field_class = UTCDateTimeField


class IdFormField(forms.Field):
    """An object id in a query string: ASCII digits only, 1..2**63-1.

    Django's IntegerField would take ``1.0``, ``1_000`` or other scripts'
    digits, and a number beyond BIGINT would reach the database as an
    out-of-range error instead of being refused here.
    """

    default_error_messages = {"invalid": f"Enter a whole number from 1 to {BIGINT_MAX}."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = bigint_from_text(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class IdFilter(Filter):
    field_class = IdFormField


class AmountBoundFormField(forms.Field):
    """A bound of an amount filter, spelled as amounts are (``money.AMOUNT_BOUND_PATTERN``).

    Like a request's amount, but zero is a bound too: no sign, spaces, exponent
    or leading zeros, at most 16 integer digits and 2 decimal places.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        problem = amount_problem(str(value), allow_zero=True)
        if problem is not None:
            raise ValidationError(problem, code="invalid_amount")
        return Decimal(value)


class AmountBoundFilter(Filter):
    field_class = AmountBoundFormField
