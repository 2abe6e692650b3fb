"""Accounts and signed entries, step 1 of 3: the new columns (empty) and the system account ``world``.

0010 fills them in batches, 0011 makes them required and installs the
database's rules (balanced commits, immutable rows).
"""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def world_create(apps, schema_editor):
    """The account deposits come from; its balance is set by 0010."""
    apps.get_model("transactions", "SystemAccount").objects.get_or_create(code="world")


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0008_delete_receipt'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ledgerentry',
            name='amount',
            field=models.DecimalField(decimal_places=2, help_text='Signed: what this entry adds to its account (negative when money leaves it).', max_digits=18, null=True),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='balance_after',
            field=models.DecimalField(decimal_places=2, help_text="The account's balance right after this entry (written under the account's lock).", max_digits=30),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='user',
            field=models.ForeignKey(blank=True, db_index=False, help_text="The wallet's owner; null on a system account's entry (which no user reads).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='SystemAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(choices=[('world', 'World: the source of deposits')], max_length=32, unique=True)),
                ('balance', models.DecimalField(decimal_places=2, default=0, max_digits=30)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ['code'],
                'constraints': [models.CheckConstraint(condition=models.Q(('balance__gte', 0), ('code', 'world'), _connector='OR'), name='system_account_only_world_below_zero')],
            },
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='system_account',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='transactions.systemaccount'),
        ),
        migrations.RunPython(world_create, migrations.RunPython.noop),
    ]
