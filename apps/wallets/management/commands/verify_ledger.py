from django.core.management.base import BaseCommand, CommandError

from apps.wallets.selectors import ledger_check


class Command(BaseCommand):
    help = ("Check that every wallet balance equals its deposits plus received minus sent, that no "
            "balance is negative, that all balances add up to all deposits and that the ledger "
            "entries match the transactions. Exits non-zero listing every discrepancy.")

    def handle(self, *args, **options):
        report = ledger_check()  # counted in the metrics (a shared PROMETHEUS_MULTIPROC_DIR shows it)
        self.stdout.write(
            f"Checked {report.wallets} wallets and {report.transactions} transactions: "
            f"balances total {report.total_balance}, deposits total {report.total_deposits}."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("Ledger OK: no discrepancies."))
            return
        for line in report.discrepancies:
            self.stderr.write(line)
        raise CommandError(f"Ledger verification failed: {len(report.discrepancies)} discrepancies.")
