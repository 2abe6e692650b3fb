from django.db.models import QuerySet

from apps.transactions.models import LedgerEntry


def transaction_history(*, user_id: int) -> QuerySet[LedgerEntry]:
    """The user's side of every transaction they took part in, with both parties.

    One query per page whatever its size: the parties are joined, not fetched
    row by row. Ordered by the unique (user, transaction) index.
    """
    return (
        LedgerEntry.objects.filter(user_id=user_id)
        .select_related("transaction", "transaction__sender", "transaction__receiver")
        .only(
            "transaction_id", "direction", "user_id",
            "transaction__kind", "transaction__amount", "transaction__created_at",
            "transaction__sender__id", "transaction__sender__username",
            "transaction__receiver__id", "transaction__receiver__username",
        )
    )
