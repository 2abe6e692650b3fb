from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.users.services import user_create
from apps.wallets.services import deposit_create

DEMO_USERS = [("alice", "alice-demo-pass-1"), ("bob", "bob-demo-pass-1")]
DEMO_FUNDS = Decimal("100.00")


class Command(BaseCommand):
    help = "Create two demo users with funded wallets and print their credentials."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, password in DEMO_USERS:
            user = User.objects.with_username(username).first()
            created = user is None
            if created:
                user = user_create(username=username, password=password)
                deposit_create(user_id=user.pk, amount=DEMO_FUNDS)
            state = "created, funded with " + str(DEMO_FUNDS) if created else "already present"
            self.stdout.write(f"user id={user.pk} username={username} password={password} ({state})")
        self.stdout.write("Get a token: POST /api/auth/token/ {\"username\": ..., \"password\": ...}")
