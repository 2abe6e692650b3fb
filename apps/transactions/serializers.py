from rest_framework import serializers


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class HistoryItemSerializer(serializers.Serializer):
    """A transaction as seen by one of its parties."""

    id = serializers.IntegerField(source="transaction_id")
    kind = serializers.CharField(source="transaction.kind")
    direction = serializers.CharField(help_text="`sent` or `received`, from the caller's side.")
    sender = PartySerializer(source="transaction.sender", allow_null=True,
                             help_text="Null for a deposit.")
    receiver = PartySerializer(source="transaction.receiver")
    amount = serializers.DecimalField(source="transaction.amount", max_digits=18, decimal_places=2)
    created_at = serializers.DateTimeField(source="transaction.created_at")
