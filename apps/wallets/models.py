from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


class Wallet(models.Model):
    """A user's balance. Only the services in apps.wallets.services change it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet",
    )
    balance = models.DecimalField(
        max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES, default=Decimal("0.00"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_non_negative"),
        ]

    def __str__(self) -> str:
        return f"Wallet of user {self.user_id}: {self.balance}"

    @property
    def currency(self) -> str:
        """The ISO 4217 code of the balance: the service's one currency, ``WALLET_CURRENCY``."""
        return settings.WALLET_CURRENCY
