"""The audit log of money movements.

``Transaction`` is the immutable record of one movement. ``LedgerEntry`` is
the same movement as each account it touches sees it (one row per leg), so
"my history, newest first" is a single index range scan whatever its depth,
and each entry carries the balance it left (``balance_after``), so a
statement's opening and closing balances are one indexed row each.

An account is a user's wallet (the entry's ``user``) or a ``SystemAccount``
that no user owns: money enters from ``world``, so a deposit is two entries
(world -x, wallet +x). Each entry's ``amount`` is signed and the entries of
one transaction sum to zero. The database holds the rules (migration 0010,
docs/ledger.md): a transaction whose entries do not sum to zero fails at
commit, and an UPDATE or DELETE of a transaction or an entry is refused.
"""
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
from apps.transactions.descriptions import DESCRIPTION_MAX_LENGTH

# A system account sums many wallets (``world`` is minus every deposit ever made), so its balance,
# and the balance after each of its entries, has twelve more digits than a wallet's may.
BOOKS_MAX_DIGITS = AMOUNT_MAX_DIGITS + 12


class Transaction(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", "Transfer"
        DEPOSIT = "deposit", "Deposit"
        REFUND = "refund", "Refund"
        REVERSAL = "reversal", "Reversal"

    # The kinds that give back money of an earlier movement (their ``original``), and what each
    # may give back: a refund, by the receiver of a transfer; a reversal, by staff, of either.
    RETURNS = {Kind.REFUND: (Kind.TRANSFER,), Kind.REVERSAL: (Kind.TRANSFER, Kind.DEPOSIT)}

    kind = models.CharField(max_length=16, choices=Kind.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="sent_transactions", db_index=False,
        help_text="Null for a deposit: money entering the system.",
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="received_transactions", db_index=False,
        help_text="Null for the reversal of a deposit: money going back to where deposits come from.",
    )
    amount = models.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    description = models.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="", db_default="",
        help_text="The optional memo given with the transfer or the deposit; printed on its receipts.",
    )
    original = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="returns", db_index=False,
        help_text="The movement a refund or a reversal gives money back from; null for other kinds.",
    )
    request_id = models.CharField(
        max_length=128, blank=True, default="", db_default="", editable=False,
        help_text="The X-Request-ID of the API request that made it (empty from a command): "
                  "the id its request's, its receipt's and its events' log lines carry.",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="txn_sender_created_idx"),
            models.Index(fields=["receiver", "-created_at"], name="txn_receiver_created_idx"),
            # What was returned of an original: one index range per original, only returns indexed.
            models.Index(fields=["original"], include=["amount"], name="txn_original_idx",
                         condition=Q(original__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="txn_amount_positive"),
            models.CheckConstraint(
                condition=Q(sender__isnull=True) | ~Q(sender=F("receiver")),
                name="txn_sender_not_receiver",
            ),
            # Who may be missing, by kind: a deposit comes from ``world`` (no sender), a deposit's
            # reversal goes back to it (no receiver); a refund or a reversal names its original.
            models.CheckConstraint(
                condition=(Q(kind="transfer", sender__isnull=False, receiver__isnull=False,
                             original__isnull=True)
                           | Q(kind="deposit", sender__isnull=True, receiver__isnull=False,
                               original__isnull=True)
                           | Q(kind="refund", sender__isnull=False, receiver__isnull=False,
                               original__isnull=False)
                           | Q(kind="reversal", sender__isnull=False, original__isnull=False)),
                name="txn_kind_matches_parties",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}: {self.amount}"


class SystemAccount(models.Model):
    """An account of the system itself, owned by no user; its balance is written with its entries.

    ``world`` is where deposits come from: its balance is minus everything
    ever deposited, and it is the only account that may go below zero. The
    sum of every wallet's balance and every system account's balance is zero.
    """

    class Code(models.TextChoices):
        WORLD = "world", "World: the source of deposits"

    code = models.CharField(max_length=32, unique=True, choices=Code.choices)
    balance = models.DecimalField(max_digits=BOOKS_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES,
                                  default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0) | Q(code="world"),
                                   name="system_account_only_world_below_zero"),
        ]

    def __str__(self) -> str:
        return f"System account {self.code}: {self.balance}"

    @property
    def currency(self) -> str:
        """The ISO 4217 code of the balance: the service's one currency, ``WALLET_CURRENCY``."""
        return settings.WALLET_CURRENCY


class LedgerEntry(models.Model):
    class Direction(models.TextChoices):
        SENT = "sent", "Sent"
        RECEIVED = "received", "Received"

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries",
        null=True, blank=True,
        db_index=False,  # covered by the unique (user, transaction) index
        help_text="The wallet's owner; null on a system account's entry (which no user reads).",
    )
    system_account = models.ForeignKey(
        SystemAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="entries",
        db_index=False,  # read only by the books' check, which scans every entry anyway
    )
    direction = models.CharField(max_length=8, choices=Direction.choices)
    counterparty = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )
    amount = models.DecimalField(
        max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES,
        help_text="Signed: what this entry adds to its account (negative when money leaves it).",
    )
    balance_after = models.DecimalField(
        max_digits=BOOKS_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES,
        help_text="The account's balance right after this entry (written under the account's lock).",
    )
    created_at = models.DateTimeField(
        editable=False,
        help_text="The transaction's time, kept on each side so a user's entries in a time range "
                  "are one index range (statements, date filters).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "transaction"], name="entry_user_txn_uniq"),
            models.CheckConstraint(condition=(Q(user__isnull=False, system_account__isnull=True)
                                              | Q(user__isnull=True, system_account__isnull=False)),
                                   name="entry_one_account"),
            models.CheckConstraint(condition=(Q(direction="sent", amount__lt=0)
                                              | Q(direction="received", amount__gt=0)),
                                   name="entry_amount_sign_matches_direction"),
        ]
        indexes = [
            # A statement's opening and closing balances are one backward probe each (index-only
            # on PostgreSQL), its totals one range scan: the cost follows the range, not the table.
            models.Index(fields=["user", "created_at", "transaction"], include=["balance_after"],
                         name="entry_user_created_idx"),
            # The commit-time balance check sums one transaction's entries: index-only.
            models.Index(fields=["transaction"], include=["amount"], name="entry_txn_amount_idx"),
        ]

    def __str__(self) -> str:
        owner = self.user_id if self.user_id is not None else f"system {self.system_account_id}"
        return f"{owner} {self.direction} #{self.transaction_id}"
