"""Accounts and signed entries, step 2 of 3: every existing row gets what 0009 added, in batches.

Each entry gets its signed amount (minus the transaction's amount on the
sending side), and each deposit its second leg: an entry of ``world`` for
minus the amount, ``world``'s running balance after it, and ``world``'s
balance. Batches of ``BATCH`` rows by primary key, each its own transaction
(the migration is not atomic), so no lock or transaction lasts long on a
large ledger, and a run that stops half-way resumes where it stopped: only
entries without an amount are updated, and ``world``'s entries continue
after its last one.
"""
from django.db import migrations, transaction

BATCH = 50_000


def _tables(apps, connection) -> dict[str, str]:
    quote = connection.ops.quote_name
    return {name: quote(apps.get_model("transactions", model)._meta.db_table)
            for name, model in (("entry", "LedgerEntry"), ("txn", "Transaction"),
                                ("system", "SystemAccount"))}


def signed_amounts_backfill(apps, schema_editor):
    connection = schema_editor.connection
    t = _tables(apps, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t['entry']}")
        top = cursor.fetchone()[0]
        for low in range(0, top, BATCH):
            with transaction.atomic(using=connection.alias):
                cursor.execute(
                    f"UPDATE {t['entry']} e SET amount = CASE WHEN e.direction = 'sent' "
                    f"THEN -x.amount ELSE x.amount END FROM {t['txn']} x "
                    f"WHERE x.id = e.transaction_id AND e.id > %s AND e.id <= %s AND e.amount IS NULL",
                    [low, low + BATCH])


def world_legs_backfill(apps, schema_editor):
    connection = schema_editor.connection
    t = _tables(apps, connection)
    world = apps.get_model("transactions", "SystemAccount").objects.get(code="world").pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT transaction_id, balance_after FROM {t['entry']} "
                       f"WHERE system_account_id = %s ORDER BY transaction_id DESC LIMIT 1", [world])
        done, balance = cursor.fetchone() or (0, 0)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t['txn']}")
        top = cursor.fetchone()[0]
        for low in range(done, top, BATCH):
            with transaction.atomic(using=connection.alias):
                cursor.execute(
                    f"WITH legs AS (INSERT INTO {t['entry']} (transaction_id, user_id, system_account_id, "
                    f"direction, counterparty_id, amount, balance_after, created_at) "
                    f"SELECT x.id, NULL, %s, 'sent', x.receiver_id, -x.amount, "
                    f"%s - SUM(x.amount) OVER (ORDER BY x.id), x.created_at FROM {t['txn']} x "
                    f"WHERE x.kind = 'deposit' AND x.id > %s AND x.id <= %s "
                    f"RETURNING balance_after) SELECT MIN(balance_after) FROM legs",
                    [world, balance, low, low + BATCH])
                lowest = cursor.fetchone()[0]
                if lowest is not None:
                    balance = lowest
                    cursor.execute(f"UPDATE {t['system']} SET balance = %s WHERE id = %s", [balance, world])


def world_legs_remove(apps, schema_editor):
    """Back to one entry per deposit (0011's rules are gone by then), so 0009 can undo its columns."""
    t = _tables(apps, schema_editor.connection)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {t['entry']} WHERE system_account_id IS NOT NULL")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("transactions", "0009_ledger_accounts"),
    ]

    operations = [
        migrations.RunPython(signed_amounts_backfill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(world_legs_backfill, world_legs_remove, elidable=True),
    ]
