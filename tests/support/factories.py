"""Helpers the tests share: users' tokens, balances, bulk ledger rows for read paths."""
from decimal import Decimal

from rest_framework_simplejwt.tokens import AccessToken

from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.models import Wallet

DEFAULT_PASSWORD = "a-long-enough-password-1"


def access_token_for(user) -> str:
    return str(AccessToken.for_user(user))


def backdate(transaction_id: int, moment) -> None:
    """Move a committed movement to ``moment``: its log row and each party's ledger entry."""
    Transaction.objects.filter(pk=transaction_id).update(created_at=moment)
    LedgerEntry.objects.filter(transaction_id=transaction_id).update(created_at=moment)


def deposits_in_bulk(user, count: int, *, opening: Decimal = Decimal("0.00")) -> list[Transaction]:
    """``count`` deposits of 1.00 to ``user`` with their ledger entries, written in bulk (a read
    path's fixture: the wallet's balance is not touched)."""
    txns = Transaction.objects.bulk_create(
        Transaction(kind="deposit", receiver=user, amount=Decimal("1.00")) for _ in range(count))
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=t, user=user, direction="received", balance_after=opening + i + 1,
                    created_at=t.created_at)
        for i, t in enumerate(txns))
    return txns


def balance_of(user) -> Decimal:
    return Wallet.objects.get(user=user).balance
