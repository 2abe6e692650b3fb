"""The memo a transfer or a deposit may carry, as a request writes it (rules in ``descriptions.py``)."""
from rest_framework import serializers

from apps.core.fields import StrictCharField
from apps.core.printable import code_point
from apps.transactions.descriptions import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_PATTERN,
    bidi_controls,
    control_characters,
    description_normalized,
)

DESCRIPTION_HELP = (
    f"An optional memo, printed on both receipts: at most {DESCRIPTION_MAX_LENGTH} characters after "
    "leading and trailing spaces are trimmed, in any script; no control characters, line breaks or "
    "bidirectional controls. Stored in Unicode NFC. Omitted or empty, the transaction has none."
)


class DescriptionField(StrictCharField):
    """A JSON string, trimmed, 0 to 140 characters, one line without control characters."""

    def _refuse(self, message: str, chars: list[str]):
        raise serializers.ValidationError(f"{message}: {', '.join(code_point(c) for c in chars[:5])}.",
                                          code="invalid")

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", DESCRIPTION_MAX_LENGTH)
        kwargs.setdefault("help_text", DESCRIPTION_HELP)
        super().__init__(**kwargs)
        # The request schema states the refusal (apps.core.schema.ApiAutoSchema).
        self.schema_constraints = {"pattern": DESCRIPTION_PATTERN, "example": "Dinner, Friday"}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if refused := control_characters(text):
            self._refuse("Control characters and line breaks are not allowed", refused)
        if refused := bidi_controls(text):
            self._refuse("Bidirectional controls are not allowed", refused)
        return description_normalized(text)


def without_empty_description(attrs: dict) -> dict:
    """An empty memo is no memo: the body ``{"description": ""}`` is the body without it."""
    if not attrs.get("description"):
        attrs.pop("description", None)
    return attrs
