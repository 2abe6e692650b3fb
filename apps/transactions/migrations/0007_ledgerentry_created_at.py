from django.db import migrations, models


def created_at_backfill(apps, schema_editor):
    """Every existing entry gets its transaction's time, in one set-based statement.

    A correlated subquery along the transactions' primary key: it runs on
    PostgreSQL and on any SQLite Django supports, and never reads the rows
    into memory.
    """
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    entry = quote(apps.get_model("transactions", "LedgerEntry")._meta.db_table)
    txn = quote(apps.get_model("transactions", "Transaction")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {entry} SET created_at = "
            f"(SELECT t.created_at FROM {txn} t WHERE t.id = {entry}.transaction_id)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("transactions", "0006_transaction_description"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(created_at_backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="ledgerentry",
            name="created_at",
            field=models.DateTimeField(
                editable=False,
                help_text="The transaction's time, kept on each side so a user's entries in a time range "
                          "are one index range (statements, date filters)."),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["user", "created_at", "transaction"], include=["balance_after"],
                               name="entry_user_created_idx"),
        ),
    ]
