from django.db import migrations, models


def running_balances_backfill(apps, schema_editor):
    """Every existing entry gets its running balance, in one set-based statement.

    The running sum per user in transaction order (the order the wallet lock
    imposed) is computed by the database with a window function, so a
    million entries are never read into memory. SQLite adds decimals as
    floats: the sum is rounded to cents.
    """
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    entry = quote(apps.get_model("transactions", "LedgerEntry")._meta.db_table)
    txn = quote(apps.get_model("transactions", "Transaction")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {entry} SET balance_after = running.balance FROM ("
            f"  SELECT e.id AS entry_id, ROUND(SUM(CASE e.direction WHEN 'sent' THEN -t.amount "
            f"  ELSE t.amount END) OVER (PARTITION BY e.user_id ORDER BY e.transaction_id "
            f"  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 2) AS balance"
            f"  FROM {entry} e JOIN {txn} t ON t.id = e.transaction_id"
            f") AS running WHERE {entry}.id = running.entry_id"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("transactions", "0004_receipt_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="balance_after",
            field=models.DecimalField(decimal_places=2, max_digits=18, null=True),
        ),
        migrations.RunPython(running_balances_backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="ledgerentry",
            name="balance_after",
            field=models.DecimalField(
                decimal_places=2, max_digits=18,
                help_text="The user's wallet balance right after this entry (written under the wallet lock)."),
        ),
    ]
