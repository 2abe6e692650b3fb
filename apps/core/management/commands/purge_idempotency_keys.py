from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS (default 24)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None,
                            help="Age in hours (default: IDEMPOTENCY_KEY_TTL_HOURS). At least 24.")

    def handle(self, *args, hours=None, **options):
        hours = settings.IDEMPOTENCY_KEY_TTL_HOURS if hours is None else hours
        if hours < 24:
            raise CommandError("Keys are kept at least 24 hours; --hours must be >= 24.")
        deleted = idempotency_keys_purge(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {deleted} idempotency key(s) older than {hours} hours.")
