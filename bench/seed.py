"""Benchmark data: funded wallets, and deep histories written straight in SQL."""
import secrets
from decimal import Decimal

# Django is imported inside the functions: ``bench.run`` configures the
# environment (database, settings) before Django is set up.


def create_users(prefix: str, count: int) -> list:
    """``count`` active users with wallets, created in bulk (no password hashing per user)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from apps.users.models import User
    from apps.wallets.models import Wallet

    unusable = make_password(None)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"{prefix}{i}", password=unusable) for i in range(count)])
        Wallet.objects.bulk_create([Wallet(user=user) for user in users])
    return users


def fund(users, amount: Decimal) -> None:
    """A real deposit per user, through the service (so the ledger has its deposits)."""
    from apps.wallets.services import deposit_create

    for user in users:
        deposit_create(user_id=user.pk, amount=amount)


def token_for(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


def separate_id_spaces() -> None:
    """Start wallet and transaction ids far from user ids.

    The SQL capture maps each parameter of a transfer's statements to its role
    by value, so a user id must never equal a wallet id or a transaction id.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE wallets_wallet_id_seq RESTART WITH 1000001")
        cursor.execute("ALTER SEQUENCE transactions_transaction_id_seq RESTART WITH 50000001")


HISTORY_SQL = """
WITH b AS (
    SELECT (SELECT balance FROM wallets_wallet WHERE user_id = %(owner)s) AS owner,
           (SELECT balance FROM wallets_wallet WHERE user_id = %(other)s) AS other
), t AS (
    INSERT INTO transactions_transaction (kind, sender_id, receiver_id, amount, created_at)
    SELECT 'transfer',
           CASE WHEN g %% 2 = 1 THEN %(owner)s ELSE %(other)s END,
           CASE WHEN g %% 2 = 1 THEN %(other)s ELSE %(owner)s END,
           1.00,
           now() - (%(rows)s - g) * interval '1 millisecond'
    FROM generate_series(1, %(rows)s) AS g
    ORDER BY g
    RETURNING id, sender_id, receiver_id, created_at
)
INSERT INTO transactions_ledgerentry (transaction_id, user_id, direction, counterparty_id, amount,
                                      balance_after, created_at)
SELECT id, sender_id, 'sent', receiver_id, -1.00,
       CASE WHEN sender_id = %(owner)s THEN b.owner - 1.00 ELSE b.other END, created_at FROM t, b
UNION ALL
SELECT id, receiver_id, 'received', sender_id, 1.00,
       CASE WHEN receiver_id = %(owner)s THEN b.owner ELSE b.other + 1.00 END, created_at FROM t, b
"""


def create_history(*, owner, other, rows: int) -> None:
    """``rows`` balanced transfers between ``owner`` and ``other``, straight in SQL.

    The owner holds 1.00 (a real deposit) and the transfers alternate
    owner→other, other→owner, 1.00 each, so after an even number of them
    both balances are exactly what they were: the ledger stays consistent
    and the end-of-run ledger check covers these rows too. Foreign-key
    triggers are skipped for the bulk insert (``session_replication_role``);
    every id is valid by construction, and every transfer's two signed legs sum to zero (the
    ledger's own commit-time check is skipped with them). Each entry's running balance follows
    from the alternation: the owner holds its balance less 1.00 after
    sending, and its balance again after receiving; the other the reverse.
    """
    if rows % 2:
        raise ValueError("rows must be even to keep both balances unchanged")
    from django.db import connection, transaction

    fund([owner], Decimal("1.00"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(HISTORY_SQL, {"owner": owner.pk, "other": other.pk, "rows": rows})


def history_position(owner, depth: int) -> int:
    """The transaction id ``depth`` rows down the owner's history (newest first): a cursor position."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT transaction_id FROM transactions_ledgerentry WHERE user_id = %s "
                       "ORDER BY transaction_id DESC LIMIT 1 OFFSET %s", [owner.pk, depth])
        return cursor.fetchone()[0]


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def random_secret() -> str:
    return secrets.token_urlsafe(50)
