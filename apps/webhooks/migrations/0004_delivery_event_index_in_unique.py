"""A delivery's event is found through the unique (event, endpoint) index: its own index goes.

Only the index: the foreign key stays as it is (letting Django alter the field would drop and
re-add the constraint, checking every delivery again while writes to the table wait).
"""
import django.db.models.deletion
from django.db import migrations, models

INDEX = '"webhooks_delivery_event_id_b6f5af91"'


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0003_delivery_failed_idx'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='delivery',
                    name='event',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='deliveries', to='webhooks.event'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f"DROP INDEX IF EXISTS {INDEX}",
                                  reverse_sql=f'CREATE INDEX IF NOT EXISTS {INDEX} ON "webhooks_delivery" ("event_id")'),
            ],
        ),
    ]
