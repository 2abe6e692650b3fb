"""Webhook deliveries per second to a local receiver, with two relay processes.

Usage (on a migrated database of its own; it writes users, transfers and deliveries):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wallet_bench_hooks \\
        python -m bench.webhook_delivery [--deliveries 3000] [--processes 2] [--json out.json]

Writes the owed deliveries through real transfers (one endpoint per receiving
user), then starts the processes, each running the relay task's loop
(``webhooks_relay``) as a worker would, and times until every delivery has
succeeded. The receiver is a threaded HTTP server on loopback answering 200.
``make bench`` runs it as its ``deliveries`` cell (``--json``: the figures for the report).
"""
import argparse
import json
import multiprocessing
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-0123456789abcdefghijklmnopqrstuvwxyz0123456789")
os.environ.update(WEBHOOK_ALLOW_HTTP="true", WEBHOOK_ALLOW_PRIVATE="true", CONN_MAX_AGE="0")


def relay(deadline: float) -> None:
    import django

    django.setup()
    from apps.webhooks.models import Delivery
    from apps.webhooks.tasks import webhooks_relay

    while time.monotonic() < deadline and Delivery.objects.filter(status="pending").exists():
        webhooks_relay()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000, help="transfers, one delivery owed each")
    parser.add_argument("--processes", type=int, default=2, help="relay processes")
    parser.add_argument("--json", default="", help="also write the figures to this file as JSON")
    args = parser.parse_args()

    import django

    django.setup()
    from apps.users.services import user_create
    from apps.wallets.services import deposit_create, transfer_create
    from apps.webhooks.models import Delivery
    from apps.webhooks.services import endpoint_create
    from tests.support.webhook_receiver import Receiver

    receiver = Receiver().start()
    stamp = int(time.time())
    sender = user_create(username=f"bench-sender-{stamp}", password="bench-password-0123")
    deposit_create(user_id=sender.pk, amount=Decimal(args.deliveries))
    users = [user_create(username=f"bench-hook-{stamp}-{i}", password="bench-password-0123")
             for i in range(20)]
    for user in users:
        endpoint_create(user_id=user.pk, url=receiver.url, events=["transfer.received"])
    for i in range(args.deliveries):
        transfer_create(sender_id=sender.pk, receiver_id=users[i % len(users)].pk, amount=Decimal("1.00"))
    pending = Delivery.objects.filter(status="pending").count()
    print(f"{pending} deliveries owed; {args.processes} relay processes", flush=True)

    from django.db import connections
    connections.close_all()
    started = time.monotonic()
    procs = [multiprocessing.Process(target=relay, args=(started + 300,)) for _ in range(args.processes)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - started
    done = len({r.headers["Wallet-Event-Id"] for r in receiver.requests})
    left = Delivery.objects.filter(status="pending").count()
    print(f"{done} events delivered in {elapsed:.2f} s: {done / elapsed:.0f} deliveries/s "
          f"({len(receiver.requests)} requests received, {left} still pending)")
    receiver.stop()
    if args.json:
        Path(args.json).write_text(json.dumps({
            "owed": pending, "processes": args.processes, "delivered": done, "seconds": elapsed,
            "per_s": done / elapsed, "requests": len(receiver.requests), "pending": left}))


if __name__ == "__main__":
    main()
