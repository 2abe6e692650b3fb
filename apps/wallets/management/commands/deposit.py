from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from apps.core.exceptions import ApiError
from apps.core.fields import AmountField
from apps.wallets.services import deposit_create


class Command(BaseCommand):
    help = "Credit AMOUNT to USERNAME's wallet (money entering the system)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("amount")

    def handle(self, *args, username, amount, **options):
        try:
            value = AmountField().run_validation(amount)
        except serializers.ValidationError as exc:
            raise CommandError(f"Invalid amount {amount!r}: {exc.detail[0]}") from exc
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            result = deposit_create(user_id=user.pk, amount=value)
        except ApiError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Deposited {value} to {username} (transaction {result.transaction.pk}); "
            f"balance {result.balance}."
        ))
