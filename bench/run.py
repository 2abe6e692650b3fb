"""A/B benchmark of the wallet service: ``make bench`` (or ``python -m bench.run --help``).

The working tree (``--new``: a revision instead) is judged against a baseline revision
(``--baseline``, default the tag ``bench-baseline``), both measured in one run on the
same machine, because a ceiling measured on another day is no yardstick here:

1. Trees: the baseline in a detached git worktree, the working tree copied as it is at
   the start (edits made during the run do not reach it). Both run from the same venv.
2. Per revision, a fresh PostgreSQL database migrated and seeded the same way by that
   revision's own code (``bench/prepare.py``): 1,000 funded users and their JWTs, the
   SQL of one captured transfer. A third database, for the new revision only, holds the
   10k and 1M-row histories and the pyinstrument profile's transfers.
3. Both revisions' services run side by side (gunicorn, each with its own
   ``config/gunicorn.py``, on two free ports, or ``--port`` and ``--port`` + 1; the idle
   one costs nothing). Each cell is measured for baseline, new, baseline, new (``--rounds``)
   back to back, so that the machine's drift falls on both alike: ``ceiling``
   (pgbench), ``spread``, ``hot``, ``read`` (wrk, ``bench/wrk/*.lua``) at each client
   count; then ``spread`` at 32 clients while a Celery worker and beat render receipts
   (e2e); then ``spread`` at 32 clients against an instance whose broker is black-holed
   (a port that accepts connections and never answers).
   Then the cells of features a baseline may not have, on the new revision only, after a second
   seeding of its database (``prepare.py --extras``: another pool, a transfer received by each
   of its users, and a third pool with one webhook endpoint per user): ``refund`` (0.01 of a
   received transfer), ``holdcap`` (a hold, then its capture by the payee) and ``spread`` with
   and without an endpoint per user, back to back (``hooks``, ``plain``).
4. History pages (new revision). The receipt drain per revision, in a fresh database: a
   burst of transfers without a worker, then one worker and beat until drained (or
   ``--drain-cap``). Webhook deliveries per second (new revision, ``bench/webhook_delivery.py``
   in a fresh database: two relay processes, a local receiver).
5. ``verify_ledger`` on both revisions' databases; the report (medians of the rounds,
   new/baseline ratios, the targets of ``bench/targets.toml`` with PASS/FAIL) goes to stdout
   and ``docs/benchmarks/results.md``.

Each run has databases named with its own id and a Redis server of its own, so runs from
several checkouts on one machine do not meet. The processes, their environment, readiness
(``/readyz``, Celery's ping) and the databases come from ``toolbox``, as for the fleet test.
Exits non-zero when a ledger is not intact and, with ``--strict``, when a target fails. Every
process started is stopped, and the worktrees, databases and temporary files removed, at the
end, on an error and on Ctrl-C.
"""
import argparse
import base64
import contextlib
import datetime as dt
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import procs
from bench.httpload import EXPECTED_STATUS, STEP_STATUS, WrkRun, summarize_wrk, wrk_command
from bench.procs import BlackHole, CpuMeter, cpu_per_op, machine_share
from bench.report import TOP as TOP_CLIENTS  # the client count the targets are judged at
from toolbox import client, db, service
from toolbox.processes import Processes, free_port, port_free

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = db.server()
# Each run's own: the databases are these names with the run's id, Redis is a server of the run's.
DATABASES = {"baseline": "wallet_bench_baseline", "new": "wallet_bench_new",
             "history": "wallet_bench_history", "drain": "wallet_bench_drain",
             "deliveries": "wallet_bench_deliveries"}
REDIS_DBS = {"baseline": 5, "new": 6, "history": 8, "drain": 8, "deliveries": 9}
# What --cells selects from: the A/B cells, then those of the new revision only.
AB_CELLS = ("ceiling", "spread", "hot", "read", "e2e", "blackhole")
NEW_ONLY_CELLS = ("refund", "holdcap", "hooks")
ALL_CELLS = (*AB_CELLS, *NEW_ONLY_CELLS, "history", "drain", "deliveries")
# The documented answers of the operations whose cells are judged by them (paths of schema.yml).
OPERATIONS = {"refund": ("/api/transactions/{id}/refund/",),
              "holdcap": ("/api/holds/", "/api/holds/{id}/capture/")}
HISTORY_WARMUP = 20
DRAIN_CLIENTS = 8
SETTLED_CPU = 0.15  # machine busy share under which a freshly started process is taken as settled


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="A/B benchmark: the working tree against a baseline revision.")
    parser.add_argument("--baseline", default=os.environ.get("BENCH_BASELINE") or None,
                        help="baseline git revision (default: the tag bench-baseline, else HEAD)")
    parser.add_argument("--new", default=os.environ.get("BENCH_NEW") or None,
                        help="git revision to bench as the new side (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of baseline then new")
    parser.add_argument("--duration", type=float, default=8, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per cell")
    parser.add_argument("--clients", default="1,8,32", help="client counts, comma-separated")
    parser.add_argument("--pool", type=int, default=1000, help="funded users per database")
    parser.add_argument("--history-rows", default="10000,1000000")
    parser.add_argument("--history-samples", type=int, default=40)
    parser.add_argument("--profile-transfers", type=int, default=1000)
    parser.add_argument("--drain-burst", type=int, default=2500, help="transfers sent before the drain")
    parser.add_argument("--drain-cap", type=float, default=60, help="seconds the drain is followed at most")
    parser.add_argument("--drain-revisions", choices=["both", "new", "none"], default="both")
    parser.add_argument("--deliveries", type=int, default=3000,
                        help="webhook deliveries timed by the deliveries cell")
    parser.add_argument("--cells", default="all",
                        help="cells to run, comma-separated (default all): " + ", ".join(ALL_CELLS))
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: each revision's config/gunicorn.py)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 0)),
                        help="first of three consecutive ports (default: three free ones)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run (3-4 minutes): one round, short cells, small histories and burst")
    parser.add_argument("--strict", action="store_true", help="exit non-zero when a target fails")
    parser.add_argument("--keep-databases", action="store_true", help="leave the bench databases in place")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks" / "results.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
        args.duration, args.warmup = min(args.duration, 3), min(args.warmup, 1)
        args.history_rows, args.history_samples, args.profile_transfers = "10000,100000", 15, 200
        args.drain_burst, args.drain_cap = min(args.drain_burst, 500), min(args.drain_cap, 20)
        args.deliveries = min(args.deliveries, 1000)
    args.cells = set(ALL_CELLS) if args.cells == "all" else {c for c in args.cells.split(",") if c}
    if unknown := args.cells - set(ALL_CELLS):
        parser.error(f"unknown cell(s) {', '.join(sorted(unknown))}; known: {', '.join(ALL_CELLS)}")
    args.clients = [int(c) for c in args.clients.split(",")]
    if TOP_CLIENTS not in args.clients:
        parser.error(f"--clients must include {TOP_CLIENTS} (the targets are judged there)")
    args.history_rows = [int(r) for r in args.history_rows.split(",") if r]
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Interrupted(Exception):
    pass


def _interrupt(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def pg_counts(name: str) -> dict:
    """Rows of the movement tables, and receipts owed (transactions without a ready receipt)."""
    with contextlib.closing(db.connect(PG, name)) as connection, connection.cursor() as cursor:
        # The receipt table's name: receipts_receipt, transactions_receipt before the receipts app.
        cursor.execute("SELECT COALESCE(to_regclass('receipts_receipt'), "
                       "to_regclass('transactions_receipt'))")
        receipts = cursor.fetchone()[0]
        cursor.execute("SELECT (SELECT count(*) FROM transactions_transaction), "
                       "(SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'), "
                       "(SELECT count(*) FROM transactions_ledgerentry), "
                       f"(SELECT count(*) FROM {receipts} WHERE status = 'ready')")
        transactions, transfers, entries, ready = cursor.fetchone()
    return {"transactions": transactions, "transfers": transfers, "ledger_entries": entries, "ready": ready,
            "owed": transactions - ready}


def history_cursor(position: int) -> str:
    """A ``CursorPagination`` cursor that starts after ``position`` (DRF's encoding)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


class Revision:
    def __init__(self, label: str, ref: str | None):
        self.label, self.ref = label, ref
        self.root: Path | None = None
        self.commit = self.description = ""
        self.worktree = False
        self.data: dict = {}
        self.tokens: Path | None = None
        self.sql_plan: Path | None = None
        self.documented: dict[str, set[str]] = {}
        self.operations: dict[str, dict[str, set[str]]] = {}
        self.refunds: Path | None = None
        self.holds: Path | None = None
        self.hooks: Path | None = None


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
        (self.tmp / "logs").mkdir()
        self.processes = Processes(self.tmp / "logs")
        self.meter = CpuMeter(self.processes)
        self.black_hole: BlackHole | None = None
        self.active_wrk: WrkRun | None = None
        self.revisions: list[Revision] = []
        self.databases: list[str] = []
        self.secret = base64.urlsafe_b64encode(os.urandom(40)).decode()
        self.records: list[dict] = []
        self.notes: list[str] = []
        self.history_data: dict = {}
        self.started = time.time()
        self.run_id = secrets.token_hex(3)
        self.redis = ""
        first = args.port
        self.ports = [first, first + 1, first + 2] if first else [free_port() for _ in range(3)]

    # -- trees, databases, environments --------------------------------------------------------

    def checkout(self, label: str, ref: str | None) -> Revision:
        rev = Revision(label, ref)
        path = self.tmp / label
        if ref is None:
            path.mkdir()
            changed = procs.snapshot_working_tree(ROOT, path)
            head = procs.git(ROOT, "rev-parse", "--short", "HEAD")
            rev.commit = procs.git(ROOT, "rev-parse", "HEAD")
            rev.description = (f"working tree (HEAD {head}"
                               + (f" + {len(changed)} changed or new files)" if changed else ", no changes)"))
        else:
            rev.commit = procs.worktree_add(ROOT, ref, path)
            rev.worktree = True
            rev.description = f"`{ref}` ({rev.commit[:7]})"
        rev.root = path
        self.revisions.append(rev)
        schema = path / "schema.yml"
        rev.documented = documented_transfer_answers(schema) if schema.exists() else {}
        rev.operations = {name: documented_answers(schema, *paths) if schema.exists() else {}
                          for name, paths in OPERATIONS.items()}
        return rev

    def cleanup(self) -> None:
        if self.active_wrk is not None:
            with contextlib.suppress(Exception):
                self.active_wrk.kill()
        self.processes.stop_all()
        if self.black_hole is not None:
            self.black_hole.close()
        for rev in self.revisions:
            if rev.worktree and rev.root is not None:
                procs.worktree_remove(ROOT, rev.root)
        if not self.args.keep_databases:
            for name in self.databases:
                db.drop(PG, name)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def database(self, purpose: str) -> str:
        return f"{DATABASES[purpose]}_{self.run_id}"

    def fresh(self, purpose: str) -> None:
        """The database and Redis database of ``purpose``, emptied."""
        import redis

        db.create(PG, self.database(purpose))
        self.databases.append(self.database(purpose))
        redis.Redis.from_url(f"{self.redis}/{REDIS_DBS[purpose]}").flushdb()

    def env(self, purpose: str, *, broker: str | None = None) -> dict:
        database, redis_db = self.database(purpose), REDIS_DBS[purpose]
        return service.environment(
            os.environ, secret=self.secret, database_url=db.url(PG, database),
            broker_url=broker or f"{self.redis}/{redis_db}", cache_url=f"{self.redis}/{redis_db}",
            files=self.tmp / f"files-{database}", JWT_ACCESS_MINUTES=str(24 * 60),
            # Webhook endpoints on loopback over plain HTTP (a revision without webhooks ignores them).
            WEBHOOK_ALLOW_HTTP="true", WEBHOOK_ALLOW_PRIVATE="true")

    def prepare(self, rev: Revision, env: dict, *, extra: list[str], name: str) -> dict:
        out = self.tmp / f"prepare-{name}.json"
        command = [sys.executable, str(ROOT / "bench" / "prepare.py"), "--root", str(rev.root),
                   "--out", str(out)]
        done = subprocess.run([*command, *extra], cwd=rev.root, env=env, capture_output=True, text=True)
        for line in done.stdout.splitlines():
            if line.startswith("[prepare"):
                log("  " + line.split("] ", 1)[-1])
        if done.returncode != 0:
            raise RuntimeError(f"bench/prepare.py failed for the {rev.label} revision "
                               f"({rev.description}):\n{(done.stdout + done.stderr)[-3000:]}")
        return json.loads(out.read_text())

    def setup_database(self, rev: Revision) -> None:
        database = self.database(rev.label)
        log(f"{rev.label}: fresh database {database}, migrated and seeded by its own code")
        self.fresh(rev.label)
        rev.tokens = self.tmp / f"tokens-{rev.label}.txt"
        rev.data = self.prepare(rev, self.env(rev.label), name=rev.label, extra=[
            "--pool", str(self.args.pool), "--tokens", str(rev.tokens), "--capture"])
        sql = rev.data["sql"]
        log(f"  {rev.data['users']} funded users in {rev.data['seconds']:.0f} s; a transfer runs "
            f"{sql['count']} SQL statements" + (f" (not replayable: {sql['replay_error']})"
                                                 if sql.get("replay_error") else ""))
        rev.sql_plan = self.tmp / f"ceiling-{rev.label}.json"
        rev.sql_plan.write_text(json.dumps({"pg": {**PG, "dbname": database}, "statements": sql["statements"],
                                            "user_ids": rev.data["user_ids"]}, default=str))

    def setup_history(self, rev: Revision) -> None:
        sizes = self.args.history_rows
        if not sizes and not self.args.profile_transfers:
            return
        rows = ", ".join(f"{s:,}" for s in sizes)
        log(f"history: database {self.database('history')} ({rows} rows) and the profile, new revision only")
        self.fresh("history")
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.history_data = self.prepare(rev, self.env("history"), name="history", extra=[
            "--pool", "50", "--tokens", str(self.tmp / "tokens-history.txt"),
            "--history-rows", ",".join(str(s) for s in sizes), "--profile", str(self.args.profile_transfers),
            "--profile-text", str(RESULTS / "profile.txt")])

    def setup_extras(self, rev: Revision) -> bool:
        """The new-only cells' data in the revision's database, seeded after the A/B cells (which
        thus ran on the same data on both sides): a pool whose users each received a transfer
        to refund, and a pool with one webhook endpoint per user. False when the revision has
        neither feature."""
        log(f"{rev.label}: seeding the cells of refunds, holds and webhooks ({self.args.pool:,} users each)")
        refunds, hooks = self.tmp / f"refunds-{rev.label}.txt", self.tmp / f"hooks-{rev.label}.txt"
        data = self.prepare(rev, self.env(rev.label), name=f"extras-{rev.label}", extra=[
            "--extras", "--prefix", "extra", "--pool", str(self.args.pool),
            "--tokens", str(self.tmp / f"tokens-extra-{rev.label}.txt"),
            "--refunds", str(refunds), "--hooks", str(hooks),
            "--hook-url", f"http://127.0.0.1:{self.ports[2]}/hook"])
        for key, path in (("refunds", refunds), ("holds", rev.tokens), ("hooks", hooks)):
            if (data.get(key) or {}).get("skipped"):
                self.notes.append(f"The new revision has no {key}: {data[key]['skipped']}")
            else:
                setattr(rev, key, path)
        return bool(rev.refunds or rev.holds or rev.hooks)

    # -- services ---------------------------------------------------------------------------------

    def port(self, rev: Revision) -> int:
        """The revision's healthy service; ``self.ports[2]`` serves the short-lived extra instances."""
        return self.ports[0 if rev.label == "baseline" else 1]

    def start_web(self, rev: Revision, env: dict, *, name: str, port: int, needs: tuple[str, ...] = ()):
        if not port_free(port):
            raise RuntimeError(f"port {port} is taken (set BENCH_PORT or --port, or neither)")
        extra = ["--log-level", "warning"]
        if self.args.workers:
            extra += ["--workers", str(self.args.workers)]
        self.processes.start(name, service.gunicorn(port, *extra), cwd=rev.root, env=env)
        service.wait_web(port, alive=lambda: self.processes.alive(name), needs=needs,
                         log=lambda: self.processes.log_tail(name))
        self.settle()

    def settle(self, timeout: float = 20) -> None:
        """Wait for the machine to go quiet: gunicorn boots its workers (and Celery its pool) after
        the first one answers, and that start-up must not land in the first measured window."""
        deadline = time.monotonic() + timeout
        previous = procs.machine_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            current = procs.machine_ticks()
            busy = (current[0] - previous[0]) / max(1, current[1] - previous[1])
            previous = current
            if busy < SETTLED_CPU:
                return

    def stop_web(self, name: str) -> None:
        # SIGINT: gunicorn's quick shutdown (a black-holed request may hang for seconds)
        self.processes.stop(name, sig=signal.SIGINT, grace=10)

    def start_receipt_workers(self, rev: Revision, env: dict, tag: str) -> None:
        """One Celery worker (concurrency 1) and beat, as ``scripts/run.sh`` starts them, until the
        worker answers Celery's ping."""
        worker = f"celery-worker-{tag}"
        self.processes.start(worker, service.celery_worker(f"bench-{tag}", "--loglevel", "INFO"),
                             cwd=rev.root, env=env)
        beat = service.celery_beat(self.tmp / f"beat-{tag}", "--loglevel", "WARNING",
                                   "--pidfile", str(self.tmp / f"beat-{tag}.pid"))
        self.processes.start(f"celery-beat-{tag}", beat, cwd=rev.root, env=env)
        service.wait_worker(f"bench-{tag}", env["CELERY_BROKER_URL"],
                            alive=lambda: self.processes.alive(worker),
                            log=lambda: self.processes.log_tail(worker))

    def stop_receipt_workers(self, tag: str) -> None:
        self.processes.stop(f"celery-beat-{tag}", grace=10)
        self.processes.stop(f"celery-worker-{tag}", grace=15)

    # -- cells -------------------------------------------------------------------------------------

    def wrk(self, port: int, scenario: str, clients: int, duration: float, tokens: Path | None,
            stop_after: int = 0) -> WrkRun:
        command = wrk_command(url=f"http://127.0.0.1:{port}", scenario=scenario, clients=clients,
                              duration=duration, tokens=tokens, stop_after=stop_after)
        self.active_wrk = WrkRun(command, self.tmp)
        return self.active_wrk

    def http_cell(self, rev: Revision, scenario: str, clients: int, *, service_name: str | None = None,
                  port: int | None = None, around=None, tokens: Path | None = None) -> dict:
        """Warm-up, then the measured wrk run with CPU sampled just before and after it.

        ``service_name`` names the gunicorn instance whose CPU is the service's (default: the
        revision's healthy one); ``around``, when given, is called before and after the measured
        run (receipt counts); ``tokens``, the users' file (default: the revision's funded pool).
        """
        service_name = service_name or f"gunicorn-{rev.label}"
        port = port or self.port(rev)
        tokens = tokens or rev.tokens
        if self.args.warmup > 0:
            warmup = self.wrk(port, scenario, clients, self.args.warmup, tokens)
            warmup.wait(timeout=self.args.warmup + 60)
        marks = [around()] if around else []
        before = self.meter.sample(service_name)
        run = self.wrk(port, scenario, clients, self.args.duration, tokens)
        raw = run.wait(timeout=self.args.duration + 60)
        after = self.meter.sample(service_name)
        if around:
            marks.append(around())
        self.active_wrk = None
        cell = summarize_wrk(raw, EXPECTED_STATUS[scenario], STEP_STATUS.get(scenario, ()))
        cell["cpu_ms"] = cpu_per_op(before, after, cell["ok"], driver_cpu_s=run.cpu_s)
        cell["machine_cpu"] = machine_share(before, after)
        if around:
            cell["marks"] = marks
        return cell

    def ceiling_cell(self, rev: Revision, clients: int) -> dict | None:
        if not rev.data["sql"].get("statements"):
            return None
        sizes = pg_counts(self.database(rev.label))
        out = self.tmp / f"ceiling-{time.time_ns()}.json"
        command = [sys.executable, "-m", "bench.ceiling", "--plan", str(rev.sql_plan), "--clients",
                   str(clients), "--warmup", str(self.args.warmup), "--duration", str(self.args.duration),
                   "--out", str(out)]
        proc = subprocess.Popen(command, cwd=ROOT)
        # pgbench's connections end with it (their CPU then moves into the postmaster's figures,
        # which are sampled too), but pgbench itself is measured by its own rusage: sample inside
        # the measured window.
        sampled = max(0.5, self.args.duration - 1.0)
        time.sleep(self.args.warmup + 0.6)
        before = self.meter.sample(f"gunicorn-{rev.label}")
        time.sleep(sampled)
        after = self.meter.sample(f"gunicorn-{rev.label}")
        if proc.wait() != 0:
            raise RuntimeError("the ceiling (bench.ceiling) failed")
        cell = json.loads(out.read_text())
        ops = max(1.0, cell["per_s"] * (after["time"] - before["time"]))
        driver_s = (cell.get("client_cpu_s") or 0) * (after["time"] - before["time"]) / cell["seconds"]
        cell["cpu_ms"] = cpu_per_op(before, after, ops, driver_cpu_s=driver_s, driver="pgbench")
        cell["machine_cpu"] = machine_share(before, after)
        cell["table_rows"] = {key: sizes[key] for key in ("transactions", "ledger_entries")}
        return cell

    def record(self, rev: Revision, round_: int, cell_name: str, clients: int, cell: dict | None) -> None:
        if cell is None:
            return
        self.records.append({"rev": rev.label, "round": round_, "cell": cell_name, "clients": clients,
                             **cell})
        extra = ""
        if cell.get("receipts_per_s") is not None:
            extra = f"  receipts {cell['receipts_per_s']:.1f}/s, backlog {cell['backlog_start']:,}" \
                    f" -> {cell['backlog_end']:,}"
        if cell.get("steps") is not None:
            extra += f"  ({cell['steps']:,} intermediate steps answered)"
        errors = ", ".join(f"{k}: {v}" for k, v in cell.get("errors", {}).items()) or "none"
        if math.isinf(cell["p99_ms"]) and "in_flight" in cell:
            errors += f"; {cell['answered']} answered, {cell['in_flight']} unanswered at the end"
        log(f"  {round_ + 1} {rev.label:8} {cell_name:9} c={clients:<3} {cell['per_s']:8.1f}/s  "
            f"p50 {cell['p50_ms']:7.1f}  p99 {cell['p99_ms']:7.1f} ms  "
            f"service {cell['cpu_ms'].get('service', 0):5.2f} ms/op  errors {errors}{extra}")

    def measure(self, revisions: list[Revision]) -> None:
        """Every cell, the revisions alternated cell by cell (baseline, new, baseline, new with two
        rounds), so that the machine's drift over minutes falls on both alike."""
        rounds, cells = range(self.args.rounds), self.args.cells
        for rev in revisions:
            self.start_web(rev, self.env(rev.label), name=f"gunicorn-{rev.label}", port=self.port(rev))
        for clients in self.args.clients:
            if not cells & {"ceiling", "spread", "hot", "read"}:
                break
            log(f"{clients} client(s)")
            for cell_name in ("ceiling", "spread", "hot", "read"):
                if cell_name not in cells:
                    continue
                for round_ in rounds:
                    for rev in revisions:
                        cell = (self.ceiling_cell(rev, clients) if cell_name == "ceiling"
                                else self.http_cell(rev, cell_name, clients))
                        self.record(rev, round_, cell_name, clients, cell)

        if "e2e" in cells:
            log(f"end to end: spread at {TOP_CLIENTS} clients, one Celery worker and beat rendering receipts")
            for round_ in rounds:
                for rev in revisions:
                    self.record(rev, round_, "e2e", TOP_CLIENTS, self.e2e_cell(rev))
        for rev in revisions:
            self.stop_web(f"gunicorn-{rev.label}")
        if "blackhole" in cells:
            self.blackhole_cells(revisions)
        if cells & set(NEW_ONLY_CELLS):
            self.new_only_cells(revisions[-1])

    def blackhole_cells(self, revisions: list[Revision]) -> None:
        rounds = range(self.args.rounds)
        log(f"spread at {TOP_CLIENTS} clients, the broker black-holed (accepts, never answers)")
        self.black_hole = self.black_hole or BlackHole()
        broker = f"redis://127.0.0.1:{self.black_hole.port}/0"
        for round_ in rounds:
            for rev in revisions:
                name, port = f"gunicorn-{rev.label}-blackhole", self.ports[2]
                self.start_web(rev, self.env(rev.label, broker=broker), name=name, port=port,
                               needs=("database",))
                cell = self.http_cell(rev, "spread", TOP_CLIENTS, service_name=name, port=port)
                self.stop_web(name)
                self.black_hole.drop_connections()
                self.record(rev, round_, "blackhole", TOP_CLIENTS, cell)

    def new_only_cells(self, rev: Revision) -> None:
        """Refunds, holds and webhooks, which a baseline may not have: the new revision alone, at
        the top client count, after the A/B cells (their seeding and the deliveries they owe
        then weigh on no A/B cell). ``hooks`` is judged against ``plain``, the same ``spread``
        measured just before it in each round."""
        cells = self.args.cells
        if not self.setup_extras(rev):
            return
        self.start_web(rev, self.env(rev.label), name=f"gunicorn-{rev.label}", port=self.port(rev))
        # (cell, wrk scenario, users' file, selected by): plain is hooks' reference
        plan = [("refund", "refund", rev.refunds, "refund"), ("holdcap", "holdcap", rev.holds, "holdcap"),
                ("plain", "spread", rev.tokens if rev.hooks else None, "hooks"),
                ("hooks", "spread", rev.hooks, "hooks")]
        plan = [(cell, scenario, tokens) for cell, scenario, tokens, by in plan if tokens and by in cells]
        log(f"new revision only, {TOP_CLIENTS} clients: " + ", ".join(name for name, _, _ in plan))
        for round_ in range(self.args.rounds):
            for cell_name, scenario, tokens in plan:
                cell = self.http_cell(rev, scenario, TOP_CLIENTS, tokens=tokens)
                self.record(rev, round_, cell_name, TOP_CLIENTS, cell)
        self.stop_web(f"gunicorn-{rev.label}")

    def deliveries(self, rev: Revision) -> dict | None:
        """Webhook deliveries per second: ``bench/webhook_delivery.py`` of the revision in a fresh
        database (owed deliveries written through real transfers, then two relay processes
        sending them to a receiver on loopback)."""
        if not (rev.root / "bench" / "webhook_delivery.py").exists():
            return None
        log(f"webhook deliveries: {self.args.deliveries:,}, two relay processes ({rev.label} revision)")
        self.fresh("deliveries")
        env = self.env("deliveries")
        done = service.manage(rev.root, env, "migrate", "--verbosity", "0")
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed (deliveries):\n{(done.stdout + done.stderr)[-2000:]}")
        out = self.tmp / "deliveries.json"
        done = subprocess.run([sys.executable, "-m", "bench.webhook_delivery", "--deliveries",
                               str(self.args.deliveries), "--processes", "2", "--json", str(out)],
                              cwd=rev.root, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0 or not out.exists():
            log(f"  failed: {(done.stdout + done.stderr).strip()[-1500:]}")
            return {"rev": rev.label, "error": (done.stdout + done.stderr).strip()[-300:]}
        result = {"rev": rev.label, **json.loads(out.read_text())}
        log(f"  {result['delivered']:,} delivered in {result['seconds']:.1f} s: {result['per_s']:.0f}/s, "
            f"{result['pending']:,} still pending")
        return result

    def e2e_cell(self, rev: Revision) -> dict:
        """spread at 32 clients while one worker and beat render receipts on the same cores."""
        database = self.database(rev.label)
        self.start_receipt_workers(rev, self.env(rev.label), rev.label)
        self.settle(timeout=5)
        try:
            cell = self.http_cell(rev, "spread", TOP_CLIENTS, around=lambda: (
                time.monotonic(), self.meter.sample(f"gunicorn-{rev.label}"), pg_counts(database)))
        finally:
            self.stop_receipt_workers(rev.label)
        (t0, s0, c0), (t1, s1, c1) = cell.pop("marks")
        rendered = c1["ready"] - c0["ready"]
        cell.update(receipts_per_s=rendered / (t1 - t0), backlog_start=c0["owed"], backlog_end=c1["owed"],
                    celery_ms_per_receipt=(s1["groups"]["Celery"] - s0["groups"]["Celery"])
                    / procs.HERTZ * 1000 / max(1, rendered))
        return cell

    # -- history, drain --------------------------------------------------------------------------

    def history(self, rev: Revision) -> list[dict]:
        """First and deep page at each history size, sampled in turn (one request of each page per
        pass, in a shuffled order), so that whatever else the machine does at a moment, and the
        position in the pass, weigh on every page alike."""
        from bench.stats import median, percentile

        if not self.history_data.get("history"):
            return []
        log("history pages (new revision)")
        port = self.ports[2]
        self.start_web(rev, self.env("history"), name="gunicorn-history", port=port)
        pages = []
        for owner in self.history_data["history"]:
            cursor = history_cursor(owner["deep_position"])
            for page, depth, path in (("first", 0, "/api/transactions/"),
                                      ("deep", owner["depth"], f"/api/transactions/?cursor={cursor}")):
                pages.append({"rows": owner["rows"], "page": page, "depth": depth, "token": owner["token"],
                              "path": path, "timings": []})
        order = random.Random(7)
        try:
            for sample in range(HISTORY_WARMUP + self.args.history_samples):
                for page in order.sample(pages, len(pages)):
                    if page.get("error"):
                        continue
                    try:
                        answer = client.request(port, "GET", page["path"], token=page["token"])
                        if answer.status != 200 or len(answer.json()["results"]) != 20:
                            raise RuntimeError(f"{answer.status} {answer.body[:200]!r}")
                    except (RuntimeError, ValueError, KeyError, OSError) as exc:
                        page["error"] = str(exc)
                        log(f"  {page['rows']:>9,} rows, {page['page']} page FAILED: {exc}")
                        continue
                    if sample >= HISTORY_WARMUP:
                        page["timings"].append(answer.seconds * 1000)
        finally:
            self.stop_web("gunicorn-history")
        rows = []
        for page in pages:
            row = {key: page[key] for key in ("rows", "page", "depth")}
            if page.get("error"):
                row["error"] = page["error"]
            else:
                row.update(median_ms=median(page["timings"]), p95_ms=percentile(page["timings"], 95))
                log(f"  {page['rows']:>9,} rows, {page['page']} page: {row['median_ms']:.1f} ms median")
            rows.append(row)
        return rows

    def drain(self, rev: Revision) -> dict:
        """A burst of transfers with no worker running, then one worker and beat until drained."""
        log(f"receipt drain: {rev.label} (a fresh database, no worker during the burst)")
        self.fresh("drain")
        env, database = self.env("drain"), self.database("drain")
        tokens = self.tmp / f"tokens-drain-{rev.label}.txt"
        self.prepare(rev, env, name=f"drain-{rev.label}", extra=["--pool", "100", "--tokens", str(tokens)])
        name, port, target = f"gunicorn-drain-{rev.label}", self.ports[2], self.args.drain_burst
        self.start_web(rev, env, name=name, port=port)
        before = pg_counts(database)
        run = self.wrk(port, "spread", DRAIN_CLIENTS, 600, tokens, stop_after=math.ceil(target / 2))
        began = time.monotonic()
        while run.running() and pg_counts(database)["transfers"] - before["transfers"] < target:
            time.sleep(0.2)
        run.interrupt()
        raw = run.wait(timeout=60)
        burst_s = time.monotonic() - began
        self.active_wrk = None
        burst = summarize_wrk(raw, 201)
        self.stop_web(name)
        queued = pg_counts(database)
        sent = queued["transfers"] - before["transfers"]
        result = {"rev": rev.label, "burst_clients": DRAIN_CLIENTS, "burst_sent": sent,
                  "burst_per_s": sent / burst_s, "burst_errors": burst["errors"],
                  "burst_p99_ms": burst["p99_ms"],
                  "owed_before": queued["owed"], "cap_s": self.args.drain_cap}
        log(f"  burst: {sent:,} transfers in {burst_s:.1f} s; {queued['owed']:,} receipts owed")

        tag, started = f"drain-{rev.label}", time.monotonic()
        self.start_receipt_workers(rev, env, tag)
        # Counted from the ping's answer: what beat's first tick had the worker render while the
        # answer was on its way is neither in the count nor in the time.
        ready_at, sample, counts = time.monotonic(), self.meter.sample(), pg_counts(database)
        at_ready = counts["ready"]
        first_at = ready_at if at_ready > queued["ready"] else None
        while counts["owed"] > 0 and time.monotonic() - ready_at < self.args.drain_cap:
            time.sleep(0.1)
            counts = pg_counts(database)
            if first_at is None and counts["ready"] > queued["ready"]:
                first_at = time.monotonic()
        end, end_sample = time.monotonic(), self.meter.sample()
        self.stop_receipt_workers(tag)
        rendered = counts["ready"] - at_ready
        result.update(left=counts["owed"], rendered=rendered, startup_s=ready_at - started,
                      first_s=math.nan if first_at is None else first_at - ready_at,
                      drain_s=end - ready_at, per_s=rendered / max(end - ready_at, 1e-9),
                      celery_ms_per_receipt=(end_sample["groups"]["Celery"] - sample["groups"]["Celery"])
                      / procs.HERTZ * 1000 / rendered if rendered else math.nan)
        log(f"  drain: {result['per_s']:.1f} receipts/s from the worker's start ({result['startup_s']:.1f} s "
            f"to start); {rendered:,} rendered, {result['left']:,} left")
        return result

    # -- whole run -----------------------------------------------------------------------------------

    def run(self) -> int:
        args = self.args
        baseline_ref = args.baseline or default_baseline()
        log(f"baseline: {baseline_ref}; new: {args.new or 'the working tree'}; {args.rounds} round(s), "
            f"{args.warmup:g} s warm-up + {args.duration:g} s per cell; wrk, pgbench")
        self.redis = f"redis://127.0.0.1:{service.start_redis(self.processes, self.tmp)}"
        baseline = self.checkout("baseline", baseline_ref)
        new = self.checkout("new", args.new)
        log(f"  baseline: {baseline.description}")
        log(f"  new: {new.description}")
        differ = [name for name in ("requirements.txt", "requirements-dev.txt")
                  if _read(baseline.root / name) != _read(new.root / name)]
        if differ:
            self.notes.append(f"The revisions' {' and '.join(differ)} differ; both ran in this venv "
                              f"(installed from the working tree's).")
        for rev in (baseline, new):
            self.setup_database(rev)
        if "history" in args.cells:
            self.setup_history(new)
        self.measure([baseline, new])
        history = self.history(new)
        drained = {"both": (baseline, new), "new": (new,), "none": ()}[args.drain_revisions]
        drains = [self.drain(rev) for rev in drained] if "drain" in args.cells else []
        deliveries = self.deliveries(new) if "deliveries" in args.cells else None
        log("ledger checks: verify_ledger")
        ledgers = {rev.label: service.verify_ledger(rev.root, self.env(rev.label)) for rev in (baseline, new)}
        from bench.report import render, versions

        meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(), "cpu_model": cpu_model(), "platform": platform.platform(),
            "versions": versions(db.server_version(PG)),
            "baseline": baseline.description, "new": new.description,
            "rounds": args.rounds, "duration": args.duration, "warmup": args.warmup, "quick": args.quick,
            "clients": args.clients, "workers": args.workers, "pool": args.pool,
            "drain_burst": args.drain_burst, "drain_cap": args.drain_cap,
            "history_samples": args.history_samples, "history_warmup": HISTORY_WARMUP,
            "cells": sorted(args.cells, key=ALL_CELLS.index) if args.cells != set(ALL_CELLS) else None,
            "elapsed_s": time.time() - self.started, "notes": self.notes,
        }
        text, failures = render(
            meta=meta, records=self.records, history=history, drains=drains, ledgers=ledgers,
            sql={rev.label: rev.data["sql"] for rev in (baseline, new)},
            documented=new.documented, operations=new.operations, deliveries=deliveries,
            profile=self.history_data.get("profile"))
        print(text)
        Path(args.output).write_text(text)
        log(f"wrote {args.output} in {meta['elapsed_s']:.0f} s")
        if any(ledger != "clean" for ledger in ledgers.values()):
            log("LEDGER CHECK FAILED")
            return 1
        if args.strict and failures:
            log(f"targets failed: {', '.join(failures)}")
            return 2
        return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def default_baseline() -> str:
    tagged = procs.git(ROOT, "rev-parse", "--verify", "--quiet", "refs/tags/bench-baseline^{commit}",
                       check=False)
    return "bench-baseline" if tagged else "HEAD"


def documented_transfer_answers(schema_path: Path) -> dict[str, set[str]]:
    """Status -> error codes documented for ``POST /api/wallet/transfer/`` in the revision's schema."""
    return documented_answers(schema_path, "/api/wallet/transfer/")


def documented_answers(schema_path: Path, *paths: str) -> dict[str, set[str]]:
    """Status -> error codes documented for ``POST`` on any of ``paths`` in the revision's schema
    (merged); empty when the schema has none of them."""
    import yaml

    try:
        schema = yaml.safe_load(schema_path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    documented: dict[str, set[str]] = {}
    for path in paths:
        try:
            responses = schema["paths"][path]["post"]["responses"]
        except (KeyError, TypeError):
            continue
        for status, answer in responses.items():
            documented.setdefault(str(status), set()).update(
                example["value"]["code"] for media in (answer.get("content") or {}).values()
                for example in (media.get("examples") or {}).values()
                if isinstance(example.get("value"), dict) and isinstance(example["value"].get("code"), str))
    return documented


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    args = parse_args(argv)
    for tool, package in (("wrk", "wrk"), ("pgbench", "postgresql-client")):
        if not shutil.which(tool):
            print(f"{tool} is not installed: `make bench` installs Debian's {package} package.",
                  file=sys.stderr)
            return 3
    bench = Bench(args)
    # SIGINT too: a shell may start the run with SIGINT ignored, and Ctrl-C must still clean up.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        return bench.run()
    except (KeyboardInterrupt, Interrupted) as exc:
        log(f"interrupted ({exc or 'Ctrl-C'}): stopping everything")
        return 130
    finally:
        log("cleaning up: processes, worktrees, temporary files" +
            ("" if args.keep_databases else ", databases"))
        with contextlib.suppress(KeyboardInterrupt, Interrupted):
            bench.cleanup()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
