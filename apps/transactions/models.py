"""The audit log of money movements.

``Transaction`` is the immutable record of one movement. ``LedgerEntry`` is
the same movement as each participant sees it (one row per side), so "my
history, newest first" is a single index range scan whatever its depth, and
each entry carries the balance it left (``balance_after``), so a statement's
opening and closing balances are one indexed row each.
Neither is ever updated or deleted by the application.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
from apps.transactions.descriptions import DESCRIPTION_MAX_LENGTH


class Transaction(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", "Transfer"
        DEPOSIT = "deposit", "Deposit"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="sent_transactions", db_index=False,
        help_text="Null for a deposit: money entering the system.",
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
        related_name="received_transactions", db_index=False,
    )
    amount = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    description = models.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="", db_default="",
        help_text="The optional memo given with the transfer or the deposit; printed on its receipts.",
    )
    request_id = models.CharField(
        max_length=128, blank=True, default="", db_default="", editable=False,
        help_text="The X-Request-ID of the API request that made it (empty from a command): "
                  "the id its request's, its receipt's and its events' log lines carry.",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="txn_sender_created_idx"),
            models.Index(fields=["receiver", "-created_at"], name="txn_receiver_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="txn_amount_positive"),
            models.CheckConstraint(
                condition=Q(sender__isnull=True) | ~Q(sender=F("receiver")),
                name="txn_sender_not_receiver",
            ),
            models.CheckConstraint(
                condition=(Q(kind="transfer", sender__isnull=False)
                           | Q(kind="deposit", sender__isnull=True)),
                name="txn_kind_matches_sender",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}: {self.amount}"


class LedgerEntry(models.Model):
    class Direction(models.TextChoices):
        SENT = "sent", "Sent"
        RECEIVED = "received", "Received"

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries",
        db_index=False,  # covered by the unique (user, transaction) index
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    counterparty = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )
    balance_after = models.DecimalField(
        max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES,
        help_text="The user's wallet balance right after this entry (written under the wallet lock).",
    )
    created_at = models.DateTimeField(
        editable=False,
        help_text="The transaction's time, kept on each side so a user's entries in a time range "
                  "are one index range (statements, date filters).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "transaction"], name="entry_user_txn_uniq"),
        ]
        indexes = [
            # A statement's opening and closing balances are one backward probe each (index-only
            # on PostgreSQL), its totals one range scan: the cost follows the range, not the table.
            models.Index(fields=["user", "created_at", "transaction"], include=["balance_after"],
                         name="entry_user_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.direction} #{self.transaction_id}"
