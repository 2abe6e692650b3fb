from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
from apps.transactions.descriptions import DESCRIPTION_MAX_LENGTH


class Wallet(models.Model):
    """A user's balance. Only the services in apps.wallets.services change it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet",
    )
    balance = models.DecimalField(
        max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, default=Decimal("0.00"),
    )
    held = models.DecimalField(
        max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        help_text="The sum of the wallet's active holds as payer (expired ones included until released).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_non_negative"),
            models.CheckConstraint(condition=Q(held__gte=0), name="wallet_held_non_negative"),
            models.CheckConstraint(condition=Q(held__lte=F("balance")), name="wallet_held_within_balance"),
        ]

    def __str__(self) -> str:
        return f"Wallet of user {self.user_id}: {self.balance}"

    @property
    def available(self) -> Decimal:
        """What the owner can spend or hold now: the balance less its active holds."""
        return self.balance - self.held

    @property
    def currency(self) -> str:
        """The ISO 4217 code of the balance: the service's one currency, ``WALLET_CURRENCY``."""
        return settings.WALLET_CURRENCY


class Hold(models.Model):
    """Money of the payer reserved for a payee: captured (once, up to its amount), voided or expired.

    While ``active`` its amount counts in the payer wallet's ``held``, so every check of
    available funds (balance - held) sees it. Past ``expires_at`` it can no longer be captured
    and its amount is available again at once: reads leave out expired holds, and the next
    movement of the payer's wallet (or the periodic sweep) releases them in the database.
    A hold moves no money by itself; its capture is a transfer.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CAPTURED = "captured", "Captured"
        VOIDED = "voided", "Voided"
        EXPIRED = "expired", "Expired"

    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    payee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    amount = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    captured_amount = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES,
                                          null=True, blank=True)
    capture_transaction = models.OneToOneField("transactions.Transaction", on_delete=models.PROTECT,
                                               null=True, blank=True, related_name="hold")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["payer", "-id"], name="hold_payer_idx"),
            models.Index(fields=["payee", "-id"], name="hold_payee_idx"),
            # The sweep and a payer's release of expired holds: only active rows are in it.
            models.Index(fields=["payer", "expires_at"], condition=Q(status="active"),
                         name="hold_active_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(condition=~Q(payer=F("payee")), name="hold_payer_not_payee"),
            models.CheckConstraint(
                condition=(Q(status="captured", captured_amount__gt=0, captured_amount__lte=F("amount"),
                             capture_transaction__isnull=False, resolved_at__isnull=False)
                           | (~Q(status="captured") & Q(captured_amount__isnull=True,
                                                        capture_transaction__isnull=True))),
                name="hold_capture_consistent",
            ),
            models.CheckConstraint(condition=Q(status="active") | Q(resolved_at__isnull=False),
                                   name="hold_resolved_has_time"),
        ]

    def __str__(self) -> str:
        return f"Hold #{self.pk}: {self.amount} {self.status}"
