from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from apps.core.fields import InputSerializer, money_field
from apps.receipts.models import Receipt
from apps.receipts.selectors import RECEIPT_FORMATS
from apps.transactions.models import LedgerEntry, Transaction


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
    receiver = PartySerializer(source="transaction.receiver", allow_null=True,
                               help_text="Null for the reversal of a deposit (the money went back to "
                                         "where deposits come from).")
    amount = money_field(source="transaction.amount")
    balance_after = money_field(
        help_text="The caller's balance right after this transaction (a running balance).",
    )
    created_at = serializers.DateTimeField(source="transaction.created_at")
    description = serializers.CharField(source="transaction.description",
                                        help_text="The memo given with the transaction; empty when none.")
    original_id = serializers.IntegerField(
        source="transaction.original_id", allow_null=True,
        help_text="For a refund or a reversal, the transaction it gives money back from; null otherwise.")
    returned_amount = money_field(
        help_text="What refunds and reversals have given back of this transaction so far (0.00 when none).")
    returned_by = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The refunds and reversals that gave money back from this transaction, oldest first.")
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


class StatementSerializer(serializers.Serializer):
    """The caller's balances at both ends of a range and the money that moved in between."""

    # "from" and "to" are Python keywords: the fields are named in ``get_fields``.
    start = serializers.DateTimeField(help_text="The range's start (inclusive), in UTC.")
    end = serializers.DateTimeField(help_text="The range's end (exclusive), in UTC.")
    currency = serializers.CharField(help_text="ISO 4217 code of every amount.")
    opening_balance = money_field(
        help_text="The balance just before `from` (0 before the first entry).")
    closing_balance = money_field(help_text="The balance just before `to`.")
    # Money can go in and out many times over: a total may be larger than any balance.
    total_in = money_field(max_digits=30, help_text="Received in the range: transfers in and deposits.")
    total_out = money_field(max_digits=30, help_text="Sent in the range.")
    count = serializers.IntegerField(help_text="Transactions in the range.")

    def get_fields(self):
        fields = super().get_fields()
        renamed = {"start": "from", "end": "to"}
        out = {}
        for name, field in fields.items():
            if name in renamed:
                field.source = name
                name = renamed[name]
            out[name] = field
        return out


class ReceiptQuerySerializer(InputSerializer):
    format = serializers.ChoiceField(choices=sorted(RECEIPT_FORMATS), default="pdf",
                                     help_text="`pdf` (default) or `txt`.")
