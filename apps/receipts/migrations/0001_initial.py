"""The receipt outbox moves from the transactions app without losing a row.

The model's state is taken over as it stands on ``transactions_receipt`` (no SQL),
then the table is renamed to ``receipts_receipt``: one catalog change, instant
whatever the number of rows; its indexes and constraints keep their names.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('transactions', '0007_ledgerentry_created_at'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.CreateModel(
            name='Receipt',
            fields=[
                ('transaction', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='receipt', serialize=False, to='transactions.transaction')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('ready', 'Ready'), ('failed', 'Failed')], default='pending', max_length=8)),
                ('pdf_path', models.CharField(blank=True, default='', max_length=255)),
                ('txt_path', models.CharField(blank=True, default='', max_length=255)),
                ('generated_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveIntegerField(default=0, help_text='Claims so far (renders started).')),
                ('last_error', models.TextField(blank=True, default='')),
                ('due_at', models.DateTimeField(default=django.utils.timezone.now, help_text='A pending receipt may be claimed from this time on (lease end, or retry backoff).')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['due_at'], name='receipt_pending_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'ready'), _negated=True), models.Q(('generated_at__isnull', False), models.Q(('pdf_path', ''), _negated=True), models.Q(('txt_path', ''), _negated=True)), _connector='OR'), name='receipt_ready_has_files')],
                'db_table': 'transactions_receipt',
            },
        )]),
        migrations.AlterModelTable(name='receipt', table=None),
    ]
