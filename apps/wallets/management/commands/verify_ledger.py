from django.core.management.base import BaseCommand, CommandError

from apps.wallets.selectors import ledger_check


class Command(BaseCommand):
    help = ("Check the books in one snapshot: each transaction's entries match it and sum to zero, each "
            "account's entries chain (balance_after = previous + amount) and end at its balance, no wallet "
            "is negative, and all balances, the system accounts' included, sum to zero. Exits non-zero "
            "listing the first bad rows of each check.")

    def handle(self, *args, **options):
        report = ledger_check()  # counted in the metrics (a shared PROMETHEUS_MULTIPROC_DIR shows it)
        self.stdout.write(
            f"Checked {report.wallets} wallets, {report.system_accounts} system accounts and "
            f"{report.transactions} transactions: wallets total {report.total_balance}, system accounts "
            f"total {report.system_balance}."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("Ledger OK: no discrepancies."))
            return
        for line in report.discrepancies:
            self.stderr.write(line)
        raise CommandError(f"Ledger verification failed: {len(report.discrepancies)} discrepancies.")
