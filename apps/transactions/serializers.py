from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from apps.core.fields import InputSerializer
from apps.transactions.models import LedgerEntry, Receipt, Transaction
from apps.transactions.selectors import RECEIPT_FORMATS


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ReceiptStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Receipt.Status.choices)
    url = serializers.URLField(allow_null=True, help_text="The PDF download; null until ready.")


class HistoryItemSerializer(serializers.Serializer):
    """A transaction as seen by one of its parties."""

    id = serializers.IntegerField(source="transaction_id")
    kind = serializers.ChoiceField(source="transaction.kind", choices=Transaction.Kind.choices)
    direction = serializers.ChoiceField(choices=LedgerEntry.Direction.choices,
                                        help_text="`sent` or `received`, from the caller's side.")
    sender = PartySerializer(source="transaction.sender", allow_null=True,
                             help_text="Null for a deposit.")
    receiver = PartySerializer(source="transaction.receiver")
    amount = serializers.DecimalField(source="transaction.amount", max_digits=18, decimal_places=2)
    created_at = serializers.DateTimeField(source="transaction.created_at")
    receipt = serializers.SerializerMethodField()

    @extend_schema_field(ReceiptStateSerializer)
    def get_receipt(self, entry) -> dict:
        receipt = getattr(entry.transaction, "receipt", None)  # joined: no query
        status = receipt.status if receipt is not None else Receipt.Status.PENDING
        url = None
        if status == Receipt.Status.READY:
            url = reverse("transaction-receipt", kwargs={"id": entry.transaction_id},
                          request=self.context.get("request"))
        return {"status": status, "url": url}


class ReceiptQuerySerializer(InputSerializer):
    format = serializers.ChoiceField(choices=sorted(RECEIPT_FORMATS), default="pdf",
                                     help_text="`pdf` (default) or `txt`.")
