"""What one transfer costs in SQL, captured in-process from a real request.

A transfer goes through the Django test client (middleware, authentication,
view, service) while ``CaptureQueriesContext`` counts the statements and an
``execute_wrapper`` records each statement's SQL text and parameters. The
ceiling driver replays exactly these statements, with the parameters
substituted by role (sender, receiver, wallet ids, amount, new balances, ...).
"""
import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
_EXISTS_SELECT = 'EXISTS(SELECT %s AS "a"'

ROLES = ("sender_user", "receiver_user", "sender_wallet", "receiver_wallet", "amount", "debit",
         "sender_balance", "receiver_balance", "transaction_id")


def capture_transfer(*, sender, receiver, amount: Decimal) -> dict:
    from apps.transactions.models import Transaction
    from apps.wallets.models import Wallet

    wallets = {w.user_id: w for w in Wallet.objects.filter(user_id__in=[sender.pk, receiver.pk])}
    client = APIClient(SERVER_NAME="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(sender)}")
    recorded = []

    def recorder(execute, sql, params, many, context):
        recorded.append((sql, list(params or ()), many))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(recorder):
        response = client.post("/api/wallet/transfer/",
                               {"receiver_id": receiver.pk, "amount": str(amount)}, format="json")
    if response.status_code != 201:
        raise RuntimeError(f"capture transfer failed: {response.status_code} {response.content!r}")
    executed = [q["sql"] for q in ctx.captured_queries
                if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)]
    captured = {"statements": None, "executed": executed, "count": len(executed), "replay_error": None}
    try:
        captured["statements"] = _replayable(recorded, response.json(), sender, receiver, wallets, amount)
    except (RuntimeError, KeyError, TypeError, ValueError, Transaction.DoesNotExist) as exc:
        # The count stands; only the ceiling, which replays the statements, is lost.
        captured["replay_error"] = str(exc)
    return captured


def _replayable(recorded, body, sender, receiver, wallets, amount) -> list[dict]:
    """Each recorded statement with its parameters mapped to roles, for the ceiling's replay."""
    from apps.transactions.models import Transaction

    txn = Transaction.objects.get(pk=body["transaction"]["id"])
    known = {
        "sender_user": sender.pk,
        "receiver_user": receiver.pk,
        "sender_wallet": wallets[sender.pk].pk,
        "receiver_wallet": wallets[receiver.pk].pk,
        "amount": amount,
        "debit": -amount,
        "sender_balance": wallets[sender.pk].balance - amount,
        "receiver_balance": wallets[receiver.pk].balance + amount,
        "transaction_id": txn.pk,
    }
    if len({str(v) for v in known.values()}) != len(known):
        raise RuntimeError(f"capture values collide, roles would be ambiguous: {known}")
    by_value = {str(v): role for role, v in known.items()}
    statements = []
    for sql, params, many in recorded:
        if many:
            raise RuntimeError("executemany in the transfer path is not supported by the replay")
        if sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            continue
        statements.append({"sql": sql, "params": [_role(value, by_value, sql) for value in params]})
    return statements


def _role(value, by_value: dict, sql: str) -> dict:
    """How the replay obtains a parameter: a constant, a role's value, or a list of those."""
    if isinstance(value, (list, tuple)):  # bulk inserts pass one array per column
        return {"list": [_role(item, by_value, sql) for item in value]}
    if isinstance(value, dt.datetime):
        return {"role": "now"}
    if isinstance(value, (bool, str)) or value is None:
        return {"const": value}
    if str(value) in by_value:
        return {"role": by_value[str(value)]}
    if value == 1 and _EXISTS_SELECT in sql:  # the constant of an ORM EXISTS (the lock query's)
        return {"const": 1}
    raise RuntimeError(f"unmapped parameter {value!r} in {sql}")
