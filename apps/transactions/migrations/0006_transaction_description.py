from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0005_ledgerentry_balance_after'),
    ]

    operations = [
        migrations.AddField(
            model_name='transaction',
            name='description',
            field=models.CharField(blank=True, db_default='', default='', help_text='The optional memo given with the transfer or the deposit; printed on its receipts.', max_length=140),
        ),
    ]
