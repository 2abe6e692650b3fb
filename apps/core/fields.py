"""Strict serializer fields for money and identifiers."""
import contextlib
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.exceptions import UNKNOWN_FIELD_CODE, InvalidAmount
from apps.core.ids import BIGINT_MAX
from apps.core.money import (
    AMOUNT_DECIMAL_PLACES,
    AMOUNT_MAX_DIGITS,
    AMOUNT_PATTERN,
    AMOUNT_RE,
    CENT,
    MIN_AMOUNT,
)

# What the API accepts, as documented: DecimalField's own schema pattern allows a sign and an
# empty string. "Positive" (no zero) is left to the description: a pattern cannot say it simply.
AMOUNT_SCHEMA = {
    "type": "string", "format": "decimal",
    "pattern": f"^{AMOUNT_PATTERN}$",
    "example": "10.50",
}


@extend_schema_field(AMOUNT_SCHEMA)
class AmountField(serializers.DecimalField):
    """A positive amount with at most 2 decimal places and 16 integer digits.

    Accepts a JSON string (``"10.50"``) or a JSON number (``10.5``, parsed to
    ``Decimal`` by the parser); rejects exponents, signs, NaN, infinities,
    booleans and anything that is not plainly a decimal number.
    Every failure carries the code ``invalid_amount``.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMAL_PLACES)
        kwargs.setdefault("min_value", MIN_AMOUNT)
        super().__init__(**kwargs)

    def fail(self, key, **kwargs):
        message = self.error_messages.get(key, InvalidAmount.message)
        with contextlib.suppress(KeyError, IndexError):
            message = message.format(**kwargs)
        raise serializers.ValidationError(message, code=InvalidAmount.code)

    def validate_empty_values(self, data):
        if data is None:
            self.fail("null")
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, Decimal)):
            raise serializers.ValidationError(InvalidAmount.message, code=InvalidAmount.code)
        text = data.strip() if isinstance(data, str) else str(data)
        if not AMOUNT_RE.fullmatch(text):
            raise serializers.ValidationError(InvalidAmount.message, code=InvalidAmount.code)
        value = Decimal(text)
        if value <= 0:
            raise serializers.ValidationError(
                "Amount must be greater than zero.", code=InvalidAmount.code
            )
        return value.quantize(CENT)


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


class InputSerializer(serializers.Serializer):
    """Base for request bodies: unknown fields are an error, not silently dropped."""

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: serializers.ErrorDetail("Unknown field.", code=UNKNOWN_FIELD_CODE)
                     for name in unknown}
                )
        return attrs
