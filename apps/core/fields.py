"""Strict serializer fields for money and identifiers."""
import contextlib
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.exceptions import UNKNOWN_FIELD_CODE, InvalidAmount
from apps.core.ids import BIGINT_MAX
from apps.core.money import (
    AMOUNT_DECIMAL_PLACES,
    AMOUNT_EXAMPLE,
    AMOUNT_MAX_DIGITS,
    AMOUNT_MAX_INTEGER_DIGITS,
    AMOUNT_NOT_A_STRING,
    AMOUNT_PATTERN,
    CENT,
    MIN_AMOUNT,
    amount_problem,
)

AMOUNT_DESCRIPTION = (
    f'A JSON string, never a number, such as "{AMOUNT_EXAMPLE}": greater than zero, at most '
    f"{AMOUNT_MAX_INTEGER_DIGITS} digits before the decimal point and {AMOUNT_DECIMAL_PLACES} after it, "
    "no sign, spaces, exponent or leading zeros."
)
# What the API accepts, exactly: DecimalField's own schema would allow a sign, an empty string
# and a JSON number.
AMOUNT_SCHEMA = {"type": "string", "pattern": f"^{AMOUNT_PATTERN}$", "example": AMOUNT_EXAMPLE}


@extend_schema_field(AMOUNT_SCHEMA)
class AmountField(serializers.DecimalField):
    """An amount of money in a request: a JSON string matching ``money.AMOUNT_PATTERN``.

    A JSON number (which the parser reads as ``Decimal`` or ``int``, never a
    float), null, a boolean, a list or an object is refused with a message
    saying to send a string. Every failure carries the code ``invalid_amount``
    and a message naming what is wrong (``money.amount_problem``).
    """

    default_error_messages = {"null": AMOUNT_NOT_A_STRING}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMAL_PLACES)
        kwargs.setdefault("min_value", MIN_AMOUNT)
        kwargs.setdefault("help_text", AMOUNT_DESCRIPTION)
        super().__init__(**kwargs)

    def fail(self, key, **kwargs):
        message = self.error_messages.get(key, InvalidAmount.message)
        with contextlib.suppress(KeyError, IndexError):
            message = message.format(**kwargs)
        raise serializers.ValidationError(message, code=InvalidAmount.code)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(AMOUNT_NOT_A_STRING, code=InvalidAmount.code)
        problem = amount_problem(data)
        if problem is not None:
            raise serializers.ValidationError(problem, code=InvalidAmount.code)
        return Decimal(data).quantize(CENT)


class StrictIdField(serializers.IntegerField):
    """An object id: a JSON integer (not a string, float or boolean) in 1..2**63-1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictStringMixin:
    """A JSON string only: DRF's CharField would turn the number ``0`` into the text ``"0"``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Not a valid string.", code="invalid")
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictRegexField(StrictStringMixin, serializers.RegexField):
    pass


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class RefuseUnknownFieldsMixin:
    """A request body whose unknown fields are an error (400 ``unknown_field``), not silently dropped.

    The OpenAPI schema says so with ``additionalProperties: false`` (``apps.core.schema``).
    """

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: serializers.ErrorDetail("Unknown field.", code=UNKNOWN_FIELD_CODE)
                     for name in unknown}
                )
        return super().validate(attrs)


class InputSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """Base for request bodies: unknown fields are an error, not silently dropped."""


def money_field(**kwargs) -> serializers.DecimalField:
    """An amount or a balance as the API writes it: a string with two decimals."""
    kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
    return serializers.DecimalField(decimal_places=AMOUNT_DECIMAL_PLACES, **kwargs)
