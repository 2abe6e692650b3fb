"""Helpers the tests share: users' tokens, balances, bulk ledger rows for read paths."""
from decimal import Decimal

from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

from apps.transactions.models import LedgerEntry, SystemAccount, Transaction
from apps.wallets.models import Wallet
from tests.support.ledger import ledger_maintenance

DEFAULT_PASSWORD = "a-long-enough-password-1"


def access_token_for(user) -> str:
    return str(AccessToken.for_user(user))


def backdate(transaction_id: int, moment) -> None:
    """Move a committed movement to ``moment``: its log row and each party's ledger entry
    (history is immutable: through the maintenance procedure)."""
    with ledger_maintenance():
        Transaction.objects.filter(pk=transaction_id).update(created_at=moment)
        LedgerEntry.objects.filter(transaction_id=transaction_id).update(created_at=moment)


def deposits_in_bulk(user, count: int, *, opening: Decimal = Decimal("0.00")) -> list[Transaction]:
    """``count`` deposits of 1.00 to ``user`` with both their ledger entries (balanced, so they
    commit), written in bulk in one transaction (a read path's fixture: the wallet's balance is
    not touched)."""
    with transaction.atomic():
        return _deposits_in_bulk(user, count, opening)


def _deposits_in_bulk(user, count: int, opening: Decimal) -> list[Transaction]:
    txns = Transaction.objects.bulk_create(
        Transaction(kind="deposit", receiver=user, amount=Decimal("1.00")) for _ in range(count))
    world, _ = SystemAccount.objects.get_or_create(code=SystemAccount.Code.WORLD)
    LedgerEntry.objects.bulk_create(
        entry
        for i, t in enumerate(txns)
        for entry in (
            LedgerEntry(transaction=t, user=user, direction="received", amount=Decimal("1.00"),
                        balance_after=opening + i + 1, created_at=t.created_at),
            LedgerEntry(transaction=t, system_account=world, direction="sent", counterparty=user,
                        amount=Decimal("-1.00"), balance_after=world.balance - i - 1,
                        created_at=t.created_at),
        ))
    SystemAccount.objects.filter(pk=world.pk).update(balance=world.balance - count)
    return txns


def balance_of(user) -> Decimal:
    return Wallet.objects.get(user=user).balance
