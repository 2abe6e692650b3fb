"""``python -m fleet.run`` (``make fleet``): the bank test on a fleet behind PgBouncer, with faults.

1. A fresh PostgreSQL database; PgBouncer (``pool_mode = transaction``) in front of it; one
   Redis; migrations and funded users through PgBouncer.
2. Three gunicorn web processes, two Celery workers and two beats (one is the deployment
   rule; the second runs to show that a stray one is harmless), all with
   ``DATABASE_POOLER=transaction`` and the database URL of PgBouncer.
3. ``--seconds`` of random transfers among ``--users`` users from ``--threads`` threads,
   round robin over the web processes; one web process is SIGKILLed and restarted at a third
   of the run, one worker at a half.
4. The checks (``fleet.checks``), the lost requests retried with their keys, ``verify_ledger``
   (the books),
   every receipt ready; then readiness is shown to follow the broker and the pooler.

Prints a report; exits 1 when any check fails. ``--json`` writes the report as JSON too.
"""
import argparse
import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fleet import checks
from fleet.bank import Client, Load
from fleet.faults import load_with_faults, readiness_follows_dependencies
from fleet.pgbouncer import PoolWatch
from fleet.report import render, summarize
from fleet.stack import Shape, Stack
from toolbox import service
from toolbox.db import DEFAULT_URL
from toolbox.db import server as postgres_server

DEFAULT_POSTGRES = DEFAULT_URL


@dataclass
class Options:
    seconds: float = 60
    threads: int = 24
    users: int = 20
    funding: str = "1000.00"
    seed: int = 20261201
    postgres_url: str = DEFAULT_POSTGRES
    keep: bool = False
    shape: Shape = field(default_factory=Shape)


def log(message: str) -> None:
    print(f"[fleet {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Watch:
    """Samples PgBouncer's pools while the load runs, and logs progress every 10 seconds."""

    def __init__(self, pools: PoolWatch, load: Load, say):
        self.pools, self.load, self.say = pools, load, say
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="fleet-watch")

    def _run(self) -> None:
        started, said = time.monotonic(), 0
        while not self.stopping.wait(0.5):
            self.pools.sample()
            if (elapsed := time.monotonic() - started) - said >= 10:
                said = elapsed
                acknowledged, lost = self.load.counts()
                self.say(f"  {elapsed:3.0f} s: {acknowledged} acknowledged, {lost} indeterminate")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def start_service(stack: Stack) -> None:
    shape = stack.shape
    for index in range(shape.webs):
        stack.start_web(index)
    for index in range(shape.workers):
        stack.start_worker(index)
    for index in range(shape.beats):
        stack.start_beat(index)
    for index in range(shape.webs):
        stack.wait_web(index)
    for index in range(shape.workers):
        stack.wait_worker(index)


def fleet_run(options: Options, say=log) -> dict:
    """Run the whole fleet test; the report, with ``failures`` empty when everything held."""
    began = time.monotonic()
    shape = options.shape
    stack = Stack(server=postgres_server(options.postgres_url), shape=shape, log=say)
    report: dict = {"failures": []}
    try:
        say(f"database {stack.database}; PgBouncer (transaction pooling, {shape.pool_size} server "
            f"connections), Redis; migrate and {options.users} funded users through PgBouncer")
        stack.start_infrastructure()
        stack.migrate()
        seeded = stack.seed(users=options.users, amount=options.funding)
        tokens = seeded["tokens"]
        say(f"{shape.webs} web processes ({shape.web_concurrency} gunicorn workers each) on ports "
            f"{', '.join(map(str, stack.web_ports))}, {shape.workers} Celery workers, {shape.beats} beats")
        start_service(stack)
        report["startup_s"] = round(time.monotonic() - began, 1)
        client = Client(stack.web_ports, tokens)
        load = Load(client, list(tokens), threads=options.threads, seed=options.seed)
        pools = PoolWatch(stack.pgbouncer_port, stack.server["user"], stack.database)
        say(f"bank test: {options.seconds:g} s, {options.threads} threads, round robin")
        with Watch(pools, load, say):
            kills = load_with_faults(stack, load, options.seconds, say)
            attempts = load.stop()
        load_end = time.monotonic()
        report.update(summarize(attempts, seconds=options.seconds, threads=options.threads,
                                users=options.users, kills=kills))
        verify(stack, client, attempts, report, deposits=Decimal(seeded["deposits"]), users=options.users,
               load_end=load_end, say=say)
        report["pgbouncer"] = {**pools.peaks, **pools.totals()}
        pools.close()
        report["readiness"], failures = readiness_follows_dependencies(stack)
        report["failures"] += failures
    finally:
        stack.stop(keep=options.keep)
        report["wall_s"] = round(time.monotonic() - began, 1)
    return report


def verify(stack: Stack, client: Client, attempts, report: dict, *, deposits: Decimal, users: int,
           load_end: float, say) -> None:
    """The checks after the load, in order; what does not hold goes to ``report["failures"]``."""
    failures = report["failures"]
    failures += [f"unexpected answer: {answer} x{count}" for answer, count in report["refused"].items()
                 if answer != "400 insufficient_funds"]
    if report["replayed_during_load"]:
        failures.append(f"{report['replayed_during_load']} fresh keys were answered as replays")
    with contextlib.closing(stack.direct()) as db:
        found, outcomes = checks.check_acknowledged_and_lost(db, attempts)
        failures += found
        report["lost_committed"], report["lost_absent"] = len(outcomes.present), len(outcomes.absent)
        say(f"lost answers: {len(outcomes.present)} had committed, {len(outcomes.absent)} had not; "
            "retrying each twice with its key")
        retries = checks.retry_lost(client, attempts, outcomes)
        report["retries"] = {"replayed": retries.replayed, "performed": retries.performed,
                             "refused": retries.refused}
        failures += retries.failures
        failures += checks.check_counts(
            db, deposits=deposits, users=users,
            transfers_expected=report["acknowledged"] + len(outcomes.present) + retries.performed)
        # through PgBouncer, like every process of the fleet
        report["verify_ledger"] = service.verify_ledger(service.ROOT, stack.env())
        if report["verify_ledger"] != "clean":
            failures.append(f"verify_ledger {report['verify_ledger']}")
            report["verify_ledger"] = "FAILED"
        drain = checks.wait_receipts(db, since=load_end, timeout=stack.shape.lease_seconds + 120,
                                     media=stack.tmp / "media")
    report.update(receipts=drain.receipts, receipts_reclaimed=drain.reclaimed,
                  drain_s=None if drain.seconds is None else round(drain.seconds, 1))
    failures += drain.failures


def default_postgres_url() -> str:
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return os.environ.get("FLEET_POSTGRES_URL", database_url)
    return os.environ.get("FLEET_POSTGRES_URL", DEFAULT_POSTGRES)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the bank test")
    parser.add_argument("--threads", type=int, default=24)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--pool-size", type=int, default=Shape.pool_size, help="PgBouncer server connections")
    parser.add_argument("--lease-seconds", type=int, default=Shape.lease_seconds,
                        help="RECEIPT_LEASE_SECONDS of the fleet")
    parser.add_argument("--postgres-url", default=default_postgres_url(),
                        help="the PostgreSQL server (its database name is not used): FLEET_POSTGRES_URL, "
                             "else DATABASE_URL when it names PostgreSQL, else " + DEFAULT_POSTGRES)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    options = Options(seconds=args.seconds, threads=args.threads, users=args.users, keep=args.keep,
                      postgres_url=args.postgres_url,
                      shape=Shape(pool_size=args.pool_size, lease_seconds=args.lease_seconds))
    report = fleet_run(options)
    print(render(report, options.shape), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
