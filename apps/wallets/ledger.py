"""Ledger verification: do the stored balances agree with the transaction log?

Every check is an aggregate query (GROUP BY), never a query per wallet.
Sums are rounded to cents before comparing, so the comparisons are exact on
PostgreSQL and SQLite (which adds decimals as floats) alike.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.models import Wallet

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _cents(value) -> Decimal:
    """Sums arrive as Decimal, but unrounded on SQLite (it adds floats): round to cents."""
    return ZERO if value is None else Decimal(value).quantize(CENT)


@dataclass
class LedgerReport:
    wallets: int = 0
    transactions: int = 0
    total_balance: Decimal = ZERO
    total_deposits: Decimal = ZERO
    discrepancies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies


def ledger_verify() -> LedgerReport:
    """Check every invariant of the books; each failure becomes one line in ``discrepancies``."""
    report = LedgerReport()
    expected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in Transaction.objects.order_by().values("receiver_id").annotate(total=Sum("amount")):
        expected[row["receiver_id"]] += _cents(row["total"])
    sent = (Transaction.objects.order_by().filter(sender__isnull=False)
            .values("sender_id").annotate(total=Sum("amount")))
    for row in sent:
        expected[row["sender_id"]] -= _cents(row["total"])

    wallet_users = set()
    for wallet_id, user_id, balance in Wallet.objects.order_by("pk").values_list("pk", "user_id", "balance"):
        report.wallets += 1
        report.total_balance += balance
        wallet_users.add(user_id)
        should_be = expected.get(user_id, ZERO)
        if balance != should_be:
            report.discrepancies.append(
                f"wallet {wallet_id} (user {user_id}): balance {balance} != deposits + received - sent "
                f"= {should_be} (off by {balance - should_be})"
            )
        if balance < 0:
            report.discrepancies.append(f"wallet {wallet_id} (user {user_id}): negative balance {balance}")
    for user_id in sorted(set(expected) - wallet_users):
        report.discrepancies.append(f"user {user_id}: has transactions but no wallet")

    totals = Transaction.objects.aggregate(
        count=Count("pk"), deposits=Sum("amount", filter=Q(kind=Transaction.Kind.DEPOSIT)),
    )
    report.transactions = totals["count"]
    report.total_deposits = _cents(totals["deposits"])
    if report.total_balance != report.total_deposits:
        report.discrepancies.append(
            f"sum of balances {report.total_balance} != sum of deposits {report.total_deposits} "
            f"(off by {report.total_balance - report.total_deposits})"
        )

    # Each transfer has two ledger entries (sent, received), each deposit one (received).
    entries = Transaction.objects.order_by().annotate(
        n=Count("entries"),
        n_sent=Count("entries", filter=Q(entries__direction=LedgerEntry.Direction.SENT)),
    )
    broken = entries.filter(
        (Q(kind=Transaction.Kind.TRANSFER) & ~(Q(n=2) & Q(n_sent=1)))
        | (Q(kind=Transaction.Kind.DEPOSIT) & ~(Q(n=1) & Q(n_sent=0)))
    ).values_list("pk", "kind", "n")
    for txn_id, kind, n in broken:
        report.discrepancies.append(f"transaction {txn_id} ({kind}): {n} ledger entries do not match it")
    return report
