from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from apps.core.batches import keyset_rows
from apps.receipts.models import Receipt
from apps.receipts.services import receipts_rerender


class Command(BaseCommand):
    help = ("Render receipts again: the given transaction ids, every receipt that failed for good "
            "(--failed), or every ready receipt whose PDF or text file is missing from storage "
            "(--missing-files, which checks each file). The running workers render them within "
            "RECEIPT_RELAY_INTERVAL seconds.")

    def add_arguments(self, parser):
        parser.add_argument("transaction_ids", nargs="*", type=int)
        parser.add_argument("--failed", action="store_true")
        parser.add_argument("--missing-files", action="store_true")

    def handle(self, *args, transaction_ids, failed, missing_files, **options):
        if not (transaction_ids or failed or missing_files):
            raise CommandError("Name transaction ids, or --failed, or --missing-files.")
        ids = set(transaction_ids)
        if failed:
            ids.update(Receipt.objects.filter(status=Receipt.Status.FAILED).values_list("pk", flat=True))
        if missing_files:
            ready = keyset_rows(Receipt.objects.filter(status=Receipt.Status.READY)
                                .values_list("pk", "pdf_path", "txt_path"), key="pk", batch_size=2000)
            ids.update(pk for pk, pdf, txt in ready
                       if not (default_storage.exists(pdf) and default_storage.exists(txt)))
        changed = receipts_rerender(transaction_ids=sorted(ids), reason="Re-render requested by an operator.")
        self.stdout.write(f"{changed} receipt(s) owed again; the workers render them shortly.")
