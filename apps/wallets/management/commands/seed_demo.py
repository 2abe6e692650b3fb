from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.wallets.services import deposit_create

DEMO_USERS = [("alice", "alice-demo-pass-1"), ("bob", "bob-demo-pass-1")]
DEMO_FUNDS = Decimal("100.00")


class Command(BaseCommand):
    help = "Create two demo users with funded wallets and print their credentials."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, password in DEMO_USERS:
            with transaction.atomic():
                user, created = User.objects.get_or_create(username=username)
                if created:
                    user.set_password(password)
                    user.save(update_fields=["password"])
            if created:
                deposit_create(user_id=user.pk, amount=DEMO_FUNDS)
            state = "created, funded with " + str(DEMO_FUNDS) if created else "already present"
            self.stdout.write(f"user id={user.pk} username={username} password={password} ({state})")
        self.stdout.write("Get a token: POST /api/auth/token/ {\"username\": ..., \"password\": ...}")
