"""The receipt outbox now belongs to the receipts app (its 0001 renames the table): state only."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0007_ledgerentry_created_at'),
        ('receipts', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='Receipt')]),
    ]
