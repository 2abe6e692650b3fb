"""Accounts and signed entries, step 3 of 3: the columns required, and the database's rules.

- ``ledger_balanced``: a deferred constraint trigger, on each new transaction
  and each new entry, checks at commit that the transaction has at least two
  entries and that they sum to zero (one index-only probe of
  ``entry_txn_amount_idx``). A movement that does not balance fails at
  ``COMMIT`` and nothing of it stays.
- ``ledger_immutable``: any ``UPDATE`` or ``DELETE`` of a transaction or an
  entry is refused, whoever sends it.

docs/ledger.md describes the maintenance procedure for the rare change that
must bypass them.
"""
from django.db import migrations, models

TXN, ENTRY = "transactions_transaction", "transactions_ledgerentry"

RULES = f"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % of a row of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Record a new movement instead (see docs/ledger.md, maintenance).';
END $$;

CREATE TRIGGER ledger_immutable BEFORE UPDATE OR DELETE ON {TXN}
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_immutable BEFORE UPDATE OR DELETE ON {ENTRY}
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    txn bigint;
    legs bigint;
    total numeric;
BEGIN
    IF TG_TABLE_NAME = '{TXN}' THEN
        txn := NEW.id;
    ELSE
        txn := NEW.transaction_id;
    END IF;
    SELECT COUNT(*), COALESCE(SUM(amount), 0) INTO legs, total FROM {ENTRY} WHERE transaction_id = txn;
    IF legs < 2 OR total <> 0 THEN
        RAISE EXCEPTION 'transaction % does not balance: % entries summing to %', txn, legs, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balanced';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON {TXN}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON {ENTRY}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
"""

RULES_DROP = f"""
DROP TRIGGER ledger_balanced ON {ENTRY};
DROP TRIGGER ledger_balanced ON {TXN};
DROP FUNCTION ledger_check_balanced();
DROP TRIGGER ledger_immutable ON {ENTRY};
DROP TRIGGER ledger_immutable ON {TXN};
DROP FUNCTION ledger_refuse_change();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("transactions", "0010_ledger_accounts_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="amount",
            field=models.DecimalField(
                decimal_places=2, max_digits=18,
                help_text="Signed: what this entry adds to its account (negative when money leaves it)."),
        ),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["transaction"], include=("amount",), name="entry_txn_amount_idx"),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("system_account__isnull", True), ("user__isnull", False)),
                                   models.Q(("system_account__isnull", False), ("user__isnull", True)),
                                   _connector="OR"),
                name="entry_one_account"),
        ),
        migrations.AddConstraint(
            model_name="ledgerentry",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("amount__lt", 0), ("direction", "sent")),
                                   models.Q(("amount__gt", 0), ("direction", "received")),
                                   _connector="OR"),
                name="entry_amount_sign_matches_direction"),
        ),
        migrations.RunSQL(RULES, RULES_DROP),
    ]
