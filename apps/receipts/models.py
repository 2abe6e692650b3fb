"""The receipt outbox: one row per transaction, owed from the movement's own commit.

The table belongs to this app; the ledger (``apps.transactions.ledger``) inserts
the owed row in the same statement that writes the movement, so a committed
transaction always owes its receipt and a rolled-back one owes nothing. Imports
run one way: the ledger imports this model; this app reads the transaction only
through the ``transaction`` relation, never by importing the ledger.
"""
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Receipt(models.Model):
    """The receipt of one transaction: an outbox row, then the state of its files.

    The movement's own database transaction inserts it ``pending`` (see
    ``apps.transactions.ledger.movement_record``): a committed transaction always owes its
    receipt, and a rolled-back one owes nothing. The receipt relay
    (``services.receipts_claim``) takes pending rows whose ``due_at`` has
    passed, pushing ``due_at`` one lease ahead while it renders them; a
    worker that dies leaves them to be claimed again once the lease ends.
    A failed render is due again after a backoff, and ends ``failed`` after
    ``RECEIPT_MAX_ATTEMPTS``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    transaction = models.OneToOneField(
        "transactions.Transaction", on_delete=models.PROTECT, primary_key=True, related_name="receipt",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    pdf_path = models.CharField(max_length=255, blank=True, default="")
    txt_path = models.CharField(max_length=255, blank=True, default="")
    generated_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Claims so far (renders started).")
    last_error = models.TextField(blank=True, default="")
    due_at = models.DateTimeField(
        default=timezone.now,
        help_text="A pending receipt may be claimed from this time on (lease end, or retry backoff).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The relay's queue: only pending rows are in it, so it stays as small as the backlog.
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="receipt_pending_due_idx"),
            # The backlog gauge counts failed receipts (a few, if any) without reading the rest.
            models.Index(fields=["transaction"], condition=Q(status="failed"), name="receipt_failed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(generated_at__isnull=False) & ~Q(pdf_path="")
                                                & ~Q(txt_path="")),
                name="receipt_ready_has_files",
            ),
        ]

    def __str__(self) -> str:
        return f"Receipt #{self.transaction_id}: {self.status}"


def transactions() -> type[models.Model]:
    """The ledger's ``Transaction`` model, through the relation: this app never imports the ledger."""
    return Receipt._meta.get_field("transaction").related_model
