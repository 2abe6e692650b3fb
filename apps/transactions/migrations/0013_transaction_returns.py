"""Refunds and reversals: movements that give back money of an earlier one, its ``original``.

- ``receiver`` may be null (a deposit's reversal goes back to ``world``); the
  kind says which party may be missing (``txn_kind_matches_parties``).
- ``ledger_return_checked``: a row that names an original is checked as it is
  inserted. The original is locked (``FOR NO KEY UPDATE``: the services lock
  it first, so this waits for nothing there, and it is the guarantee for any
  other writer), then: a refund gives back a transfer, a reversal a transfer
  or a deposit; the money goes back the way it came (the parties swapped);
  and everything returned of the original, this row included, is at most its
  amount. A return that breaks a rule is refused by the database.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TXN = "transactions_transaction"

RULES = f"""
CREATE FUNCTION ledger_check_return() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    orig record;
    returned numeric;
BEGIN
    SELECT kind, sender_id, receiver_id, amount INTO orig FROM {TXN}
        WHERE id = NEW.original_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key refuses it
    END IF;
    IF NOT ((NEW.kind = 'refund' AND orig.kind = 'transfer')
            OR (NEW.kind = 'reversal' AND orig.kind IN ('transfer', 'deposit'))) THEN
        RAISE EXCEPTION 'a % cannot give back a %', NEW.kind, orig.kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_return_kind';
    END IF;
    IF NEW.sender_id IS DISTINCT FROM orig.receiver_id OR NEW.receiver_id IS DISTINCT FROM orig.sender_id THEN
        RAISE EXCEPTION 'a % of transaction % must go back from its receiver to its sender',
            NEW.kind, NEW.original_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_return_parties';
    END IF;
    SELECT COALESCE(SUM(amount), 0) INTO returned FROM {TXN} WHERE original_id = NEW.original_id;
    IF returned + NEW.amount > orig.amount THEN
        RAISE EXCEPTION 'transaction % gives back % more than remains of transaction % (% of %)',
            NEW.id, NEW.amount, NEW.original_id, orig.amount - returned, orig.amount
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_return_within_original';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_return_checked BEFORE INSERT ON {TXN}
    FOR EACH ROW WHEN (NEW.original_id IS NOT NULL) EXECUTE FUNCTION ledger_check_return();
"""

RULES_DROP = f"""
DROP TRIGGER ledger_return_checked ON {TXN};
DROP FUNCTION ledger_check_return();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('transactions', '0012_transaction_request_id'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='transaction',
            name='txn_kind_matches_sender',
        ),
        migrations.AddField(
            model_name='transaction',
            name='original',
            field=models.ForeignKey(blank=True, db_index=False, help_text='The movement a refund or a reversal gives money back from; null for other kinds.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='transactions.transaction'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='kind',
            field=models.CharField(choices=[('transfer', 'Transfer'), ('deposit', 'Deposit'), ('refund', 'Refund'), ('reversal', 'Reversal')], max_length=16),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='receiver',
            field=models.ForeignKey(blank=True, db_index=False, help_text='Null for the reversal of a deposit: money going back to where deposits come from.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='received_transactions', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='transaction',
            index=models.Index(condition=models.Q(('original__isnull', False)), fields=['original'], include=('amount',), name='txn_original_idx'),
        ),
        migrations.AddConstraint(
            model_name='transaction',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'transfer'), ('original__isnull', True), ('receiver__isnull', False), ('sender__isnull', False)), models.Q(('kind', 'deposit'), ('original__isnull', True), ('receiver__isnull', False), ('sender__isnull', True)), models.Q(('kind', 'refund'), ('original__isnull', False), ('receiver__isnull', False), ('sender__isnull', False)), models.Q(('kind', 'reversal'), ('original__isnull', False), ('sender__isnull', False)), _connector='OR'), name='txn_kind_matches_parties'),
        ),
        migrations.RunSQL(RULES, RULES_DROP),
    ]
