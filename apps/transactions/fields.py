"""The memo a transfer or a deposit may carry, as a request writes it."""
import unicodedata

from rest_framework import serializers

from apps.core.fields import StrictCharField
from apps.transactions.receipt_fonts import code_point

DESCRIPTION_MAX_LENGTH = 140
# Control characters (C0, DEL, C1) and the line and paragraph separators: a memo is one line.
# Lone surrogates (which only a JSON escape can smuggle in) are refused too; no text has them.
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
DESCRIPTION_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
DESCRIPTION_HELP = (
    f"An optional memo, printed on both receipts: at most {DESCRIPTION_MAX_LENGTH} characters after "
    "leading and trailing spaces are trimmed, in any script; no control characters or line breaks. "
    "Omitted or empty, the transaction has none."
)


class DescriptionField(StrictCharField):
    """A JSON string, trimmed, 0 to 140 characters, one line without control characters."""

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
        refused = [c for c in text if unicodedata.category(c) in _REFUSED_CATEGORIES]
        if refused:
            raise serializers.ValidationError(
                "Control characters and line breaks are not allowed: "
                f"{', '.join(code_point(c) for c in refused[:5])}.", code="invalid")
        return text


def without_empty_description(attrs: dict) -> dict:
    """An empty memo is no memo: the body ``{"description": ""}`` is the body without it."""
    if not attrs.get("description"):
        attrs.pop("description", None)
    return attrs
