from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.transactions.services import receipts_sweep


class Command(BaseCommand):
    help = ("Enqueue again every receipt that is pending or failed for longer than --older-than "
            "seconds, or missing for a transaction of the last --window-days days (the same "
            "sweep Celery beat runs periodically).")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=settings.RECEIPT_SWEEP_AFTER,
                            help="Seconds without progress before a receipt is swept "
                                 "(default: RECEIPT_SWEEP_AFTER, %(default)s).")
        parser.add_argument("--window-days", type=int, default=settings.RECEIPT_SWEEP_WINDOW_DAYS,
                            help="Only transactions created in the last this many days are "
                                 "checked for a missing receipt (default: "
                                 "RECEIPT_SWEEP_WINDOW_DAYS, %(default)s).")
        parser.add_argument("--limit", type=int, default=1000, help="At most this many per run.")

    def handle(self, *args, older_than, window_days, limit, **options):
        if older_than < 0 or window_days < 1 or limit < 1:
            raise CommandError("--older-than must be >= 0, --window-days >= 1 and --limit >= 1.")
        found, enqueued = receipts_sweep(older_than=timedelta(seconds=older_than),
                                         window=timedelta(days=window_days), limit=limit)
        self.stdout.write(f"{found} receipt(s) to produce, {enqueued} enqueued.")
        if enqueued < found:
            raise CommandError("The broker is unreachable; nothing more was enqueued. Run again later.")
