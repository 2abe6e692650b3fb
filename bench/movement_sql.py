"""Does the money path's plain SQL pay? Each statement against the ORM writing the same rows.

    SECRET_KEY=... DATABASE_URL=postgres://postgres@127.0.0.1:5432/wallet_bench \\
        python -m bench.movement_sql [--movements 1000] [--rounds 5]

PostgreSQL only. In one process, ``--movements`` transfers between two wallets per
variant and round, each in its own durable transaction with both wallets locked as
``transfer_create`` locks them; the variants alternate round by round (the order
rotates), so a noisy neighbour hits them alike. Each variant changes one thing from
the shipped code:

- ``shipped``: ``balances_apply`` (one UPDATE in SQL) and ``movement_record`` (the
  log row, its entries and the owed receipt in one statement, data-modifying CTEs);
- ``orm_balances``: the balance UPDATE through ``update()`` with ``F``, ``Case`` and
  ``Round`` instead of ``balances_apply``;
- ``orm_rows``: ``objects.create`` / ``bulk_create`` for the log row, its entries and
  the receipt instead of ``movement_record``.

Printed per variant: the median over rounds of CPU (``time.process_time``) and wall
time per movement, and the difference from ``shipped``. A positive difference is what
the plain SQL saves.
"""
import argparse
import statistics
import time
from decimal import Decimal

from bench import django_setup


def _variants() -> dict:
    from django.db.models import Case, DecimalField, F, Value, When

    from apps.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS
    from apps.receipts.models import Receipt
    from apps.transactions import ledger
    from apps.transactions.models import LedgerEntry, Transaction
    from apps.wallets.balance_sql import balances_apply
    from apps.wallets.models import Wallet

    money = DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=AMOUNT_DECIMAL_PLACES)

    def orm_balances(deltas, *, now):
        whens = [When(user_id=user_id, then=Value(delta, output_field=money))
                 for user_id, delta in deltas.items()]
        Wallet.objects.filter(user_id__in=list(deltas)).update(
            balance=F("balance") + Case(*whens, output_field=money), updated_at=now)

    def orm_rows(*, kind, sender_id, receiver_id, amount, now, receiver_balance, sender_balance,
                 description=""):
        txn = Transaction.objects.create(kind=kind, sender_id=sender_id, receiver_id=receiver_id,
                                         amount=amount, created_at=now, description=description)
        LedgerEntry.objects.bulk_create([
            LedgerEntry(transaction=txn, user_id=receiver_id, direction=LedgerEntry.Direction.RECEIVED,
                        counterparty_id=sender_id, amount=amount, balance_after=receiver_balance,
                        created_at=now),
            LedgerEntry(transaction=txn, user_id=sender_id, direction=LedgerEntry.Direction.SENT,
                        counterparty_id=receiver_id, amount=-amount, balance_after=sender_balance,
                        created_at=now),
        ])
        Receipt.objects.create(transaction=txn, status=Receipt.Status.PENDING, due_at=now)
        return txn

    return {
        "shipped": (balances_apply, ledger.movement_record),
        "orm_balances": (orm_balances, ledger.movement_record),
        "orm_rows": (balances_apply, orm_rows),
    }


def _run(variant, movements: int, alice: int, bob: int) -> tuple[float, float]:
    """``movements`` transfers of 0.01 back and forth; CPU and wall ms per movement."""
    from django.db import transaction
    from django.utils import timezone

    from apps.transactions.models import Transaction
    from apps.wallets.selectors import wallets_lock

    apply, record = variant
    amount = Decimal("0.01")
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(movements):
        sender, receiver = (alice, bob) if i % 2 == 0 else (bob, alice)
        with transaction.atomic(durable=True):
            wallets = wallets_lock(user_ids=(sender, receiver))
            now = timezone.now()
            apply({sender: -amount, receiver: amount}, now=now)
            record(kind=Transaction.Kind.TRANSFER, sender_id=sender, receiver_id=receiver, amount=amount,
                   now=now, sender_balance=wallets[sender].balance - amount,
                   receiver_balance=wallets[receiver].balance + amount)
    return ((time.process_time() - cpu) * 1000 / movements,
            (time.perf_counter() - wall) * 1000 / movements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    django_setup()
    from django.core.management import call_command

    from apps.users.services import user_create
    from apps.wallets.services import deposit_create

    call_command("migrate", verbosity=0)
    stamp = int(time.time())
    alice, bob = (user_create(username=f"sql-{stamp}-{name}", password="bench-password-1").pk
                  for name in ("a", "b"))
    deposit_create(user_id=alice, amount=Decimal("100.00"))

    variants = _variants()
    names = list(variants)
    _run(variants["shipped"], 200, alice, bob)  # warm-up: caches, plans, the connection
    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            c, w = _run(variants[name], args.movements, alice, bob)
            cpu[name].append(c)
            wall[name].append(w)
    base_cpu, base_wall = statistics.median(cpu["shipped"]), statistics.median(wall["shipped"])
    print(f"median of {args.rounds} rounds x {args.movements:,} movements, per movement (ms):")
    print(f"{'variant':<14} {'CPU':>7} {'wall':>7} {'CPU - shipped':>14} {'wall - shipped':>15}")
    for name in names:
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        print(f"{name:<14} {c:7.3f} {w:7.3f} {c - base_cpu:+14.3f} {w - base_wall:+15.3f}")


if __name__ == "__main__":
    main()
