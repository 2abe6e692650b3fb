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
   ``config/gunicorn.py``, on ports ``--port`` and ``--port`` + 1; the idle one costs
   nothing). Each cell is measured for baseline, new, baseline, new (``--rounds``)
   back to back, so that the machine's drift falls on both alike: ``ceiling``
   (pgbench), ``spread``, ``hot``, ``read`` (wrk, ``bench/wrk/*.lua``) at each client
   count; then ``spread`` at 32 clients while a Celery worker and beat render receipts
   (e2e); then ``spread`` at 32 clients against an instance whose broker is black-holed
   (a port that accepts connections and never answers).
4. History pages (new revision). Embedded default drain per revision: SQLite and the
   filesystem broker under the tree's own ``var/``, a burst of transfers without a
   worker, then one worker and beat until drained (or ``--drain-cap``).
5. Ledger checks; the report (medians of the rounds, new/baseline ratios, targets with
   PASS/FAIL) goes to stdout and ``BENCHMARKS.md``.

Exits non-zero when a ledger is not intact and, with ``--strict``, when a target fails.
Every process started is stopped, and the worktrees and temporary files removed, at the
end, on an error and on Ctrl-C.
"""
import argparse
import base64
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench import procs
from bench.httpload import EXPECTED_STATUS, WrkRun, summarize_wrk, wrk_command
from bench.procs import BlackHole, CpuMeter, Processes, cpu_per_op, machine_share
from bench.report import TOP as TOP_CLIENTS  # the client count the targets are judged at

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
DATABASES = {"baseline": "wallet_bench_baseline", "new": "wallet_bench_new",
             "history": "wallet_bench_history"}
REDIS_DBS = {"baseline": 5, "new": 6, "history": 8}
HISTORY_WARMUP = 20
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
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: each revision's config/gunicorn.py)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    parser.add_argument("--quick", action="store_true",
                        help="smoke run (3-4 minutes): one round, short cells, small histories and burst")
    parser.add_argument("--strict", action="store_true", help="exit non-zero when a target fails")
    parser.add_argument("--keep-databases", action="store_true", help="leave the bench databases in place")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
        args.duration, args.warmup = min(args.duration, 3), min(args.warmup, 1)
        args.history_rows, args.history_samples, args.profile_transfers = "10000,100000", 15, 200
        args.drain_burst, args.drain_cap = min(args.drain_burst, 500), min(args.drain_cap, 20)
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


# --- databases, Redis -------------------------------------------------------------

def pg_connect(dbname: str):
    import psycopg2

    connection = psycopg2.connect(dbname=dbname, **PG)
    connection.autocommit = True
    return connection


def fresh_database(name: str) -> None:
    admin = pg_connect("postgres")
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()


def drop_database(name: str) -> None:
    with contextlib.suppress(Exception):
        admin = pg_connect("postgres")
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def pg_counts(name: str) -> dict:
    """Rows of the movement tables, and receipts owed (transactions without a ready receipt)."""
    connection = pg_connect(name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT (SELECT count(*) FROM transactions_transaction), "
                           "(SELECT count(*) FROM transactions_ledgerentry)")
            transactions, entries = cursor.fetchone()
            ready = None
            with contextlib.suppress(Exception):
                cursor.execute("SELECT count(*) FROM transactions_receipt WHERE status = 'ready'")
                ready = cursor.fetchone()[0]
    finally:
        connection.close()
    return {"transactions": transactions, "ledger_entries": entries, "ready": ready,
            "owed": None if ready is None else transactions - ready}


def sqlite_counts(path: Path) -> dict:
    connection = sqlite3.connect(path, timeout=30)  # read-only queries
    try:
        transactions = connection.execute("SELECT count(*) FROM transactions_transaction").fetchone()[0]
        transfers = connection.execute(
            "SELECT count(*) FROM transactions_transaction WHERE kind = 'transfer'").fetchone()[0]
        ready = connection.execute(
            "SELECT count(*) FROM transactions_receipt WHERE status = 'ready'").fetchone()[0]
    finally:
        connection.close()
    return {"transactions": transactions, "transfers": transfers, "ready": ready,
            "owed": transactions - ready}


def redis_flush(db: int) -> None:
    import redis

    with contextlib.suppress(Exception):
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


def pg_server_version() -> str:
    try:
        connection = pg_connect("postgres")
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        connection.close()
        return version
    except Exception:
        return "unknown"


# --- HTTP helpers ---------------------------------------------------------------------

def http_get(port: int, path: str, token: str, timeout: float = 30) -> tuple[int, bytes, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}",
                                                      "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - began
    finally:
        connection.close()


def history_cursor(position: int) -> str:
    """A ``CursorPagination`` cursor that starts after ``position`` (DRF's encoding)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


# --- the revisions ------------------------------------------------------------------------

class Revision:
    def __init__(self, label: str, ref: str | None):
        self.label, self.ref = label, ref
        self.root: Path | None = None
        self.commit = ""
        self.description = ""
        self.worktree = False
        self.data: dict = {}
        self.tokens: Path | None = None
        self.documented: dict[str, set[str]] = {}


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
        (self.tmp / "logs").mkdir()
        (self.tmp / "static").mkdir()
        self.processes = Processes(self.tmp / "logs")
        self.meter = CpuMeter(self.processes)
        self.black_hole: BlackHole | None = None
        self.active_wrk: WrkRun | None = None
        self.revisions: list[Revision] = []
        self.databases: list[str] = []
        self.secret = base64.urlsafe_b64encode(os.urandom(40)).decode()
        self.records: list[dict] = []
        self.notes: list[str] = []
        self.started = time.time()
        self.python = sys.executable

    # -- trees --------------------------------------------------------------------------------

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
        for db in REDIS_DBS.values():
            redis_flush(db)
        if not self.args.keep_databases:
            for name in self.databases:
                drop_database(name)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- environments ----------------------------------------------------------------------------

    def base_env(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PYTHONPATH", "MEDIA_ROOT",
                            "STATIC_ROOT", "DJANGO_SETTINGS_MODULE", "GUNICORN_ACCESS_LOG", "GUNICORN_BIND")}
        env.update({
            "DEBUG": "false",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "JWT_ACCESS_MINUTES": str(24 * 60),
            "LOG_LEVEL": "WARNING",
            # As in production behind a TLS-terminating proxy: every request carries
            # X-Forwarded-Proto: https, so the HTTPS redirect and HSTS stay on.
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
            # The service is measured, not the rate limiter: limits far above any reachable rate.
            "THROTTLE_MONEY_RATE": "1000000/s",
            "THROTTLE_AUTH_RATE": "1000000/s",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        return env

    def pg_env(self, database: str, redis_db: int, *, broker: str | None = None) -> dict:
        env = self.base_env()
        env.update({
            "DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
            "CONN_MAX_AGE": "600",
            "CACHE_URL": f"{REDIS}/{redis_db}",
            "CELERY_BROKER_URL": broker or f"{REDIS}/{redis_db}",
            "MEDIA_ROOT": str(self.tmp / f"media-{database}"),
            "STATIC_ROOT": str(self.tmp / "static"),  # created empty: the API serves no static files
        })
        return env

    def embedded_env(self) -> dict:
        """The embedded defaults: no DATABASE_URL, no CELERY_BROKER_URL, no CACHE_URL."""
        return self.base_env()

    # -- preparation ----------------------------------------------------------------------------

    def prepare(self, rev: Revision, env: dict, command: str, *, extra: list[str] = (), name: str) -> dict:
        out = self.tmp / f"prepare-{name}.json"
        done = subprocess.run([self.python, str(ROOT / "bench" / "prepare.py"), command, "--root",
                               str(rev.root), "--out", str(out), *extra],
                              cwd=rev.root, env=env, capture_output=True, text=True)
        for line in done.stdout.splitlines():
            if line.startswith("[prepare"):
                log("  " + line.split("] ", 1)[-1])
        if done.returncode != 0:
            raise RuntimeError(f"bench/prepare.py {command} failed for the {rev.label} revision "
                               f"({rev.description}):\n{(done.stdout + done.stderr)[-3000:]}")
        return json.loads(out.read_text())

    def setup_database(self, rev: Revision) -> None:
        database, redis_db = DATABASES[rev.label], REDIS_DBS[rev.label]
        log(f"{rev.label}: fresh database {database}, migrated and seeded by its own code")
        fresh_database(database)
        self.databases.append(database)
        redis_flush(redis_db)
        rev.tokens = self.tmp / f"tokens-{rev.label}.txt"
        extra = ["--pool", str(self.args.pool), "--tokens", str(rev.tokens), "--capture"]
        rev.data = self.prepare(rev, self.pg_env(database, redis_db), "setup", name=rev.label, extra=extra)
        sql = rev.data["sql"]
        log(f"  {rev.data['users']} funded users in {rev.data['seconds']:.0f} s; a transfer runs "
            f"{sql['count']} SQL statements" + (f" (not replayable: {sql['replay_error']})"
                                                 if sql.get("replay_error") else ""))
        rev.sql_plan = self.tmp / f"ceiling-{rev.label}.json"
        rev.sql_plan.write_text(json.dumps({
            "dsn": f"dbname={database} host={PG['host']} port={PG['port']} user={PG['user']}",
            "pg": {**PG, "dbname": database}, "statements": sql["statements"],
            "user_ids": rev.data["user_ids"]}, default=str))

    def setup_history(self, rev: Revision) -> None:
        database = DATABASES["history"]
        sizes = self.args.history_rows
        if not sizes and not self.args.profile_transfers:
            return
        log(f"history: database {database} ({', '.join(f'{s:,}' for s in sizes)} rows) and the profile, "
            "new revision only")
        fresh_database(database)
        self.databases.append(database)
        redis_flush(REDIS_DBS["history"])
        tokens = self.tmp / "tokens-history.txt"
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.history_data = self.prepare(
            rev, self.pg_env(database, REDIS_DBS["history"]), "setup", name="history",
            extra=["--pool", "50", "--tokens", str(tokens),
                   "--history-rows", ",".join(str(s) for s in sizes),
                   "--profile", str(self.args.profile_transfers),
                   "--profile-text", str(RESULTS / "profile.txt")])

    # -- services ---------------------------------------------------------------------------------

    def port(self, rev: Revision) -> int:
        """The revision's healthy service; ``--port`` + 2 serves the short-lived extra instances."""
        return self.args.port + (0 if rev.label == "baseline" else 1)

    def start_service(self, rev: Revision, env: dict, token: str, *, name: str, port: int) -> None:
        if not procs.port_free(port):
            raise RuntimeError(f"port {port} is taken (set BENCH_PORT or --port)")
        command = [self.python, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
                   "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        if self.args.workers:
            command += ["--workers", str(self.args.workers)]
        self.processes.start(name, command, cwd=rev.root, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if not self.processes.alive(name):
                raise RuntimeError(f"the {rev.label} service exited ({self.processes.exit_status(name)}):\n"
                                   f"{self.processes.log_tail(name)}")
            try:
                if http_get(port, "/api/wallet/me/", token, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"the {rev.label} service did not become ready:\n"
                               f"{self.processes.log_tail(name)}")
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

    def stop_service(self, name: str) -> None:
        # SIGINT: gunicorn's quick shutdown (a black-holed request may hang for seconds)
        self.processes.stop(name, sig=signal.SIGINT, grace=10)

    def start_receipt_workers(self, rev: Revision, env: dict, tag: str, *, wait: bool = True) -> None:
        """One Celery worker (concurrency 1) and beat, as ``scripts/run.sh`` starts them; with
        ``wait``, until the worker is ready and the machine has settled."""
        self.processes.start(f"celery-worker-{tag}", [
            self.python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
            "--concurrency", "1", "--hostname", f"bench-{tag}@%h"], cwd=rev.root, env=env)
        self.processes.start(f"celery-beat-{tag}", [
            self.python, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
            "--schedule", str(self.tmp / f"beat-{tag}"), "--pidfile", str(self.tmp / f"beat-{tag}.pid")],
            cwd=rev.root, env=env)
        if not wait:
            return
        worker = f"celery-worker-{tag}"
        deadline = time.time() + 90
        while time.time() < deadline:
            if not self.processes.alive(worker):
                raise RuntimeError(f"the Celery worker exited ({self.processes.exit_status(worker)}):\n"
                                   f"{self.processes.log_tail(worker)}")
            if " ready." in self.processes.log_tail(worker, 200):
                return self.settle(timeout=5)
            time.sleep(0.2)
        raise RuntimeError(f"the Celery worker did not start:\n{self.processes.log_tail(worker)}")

    def stop_receipt_workers(self, tag: str) -> None:
        self.processes.stop(f"celery-beat-{tag}", grace=10)
        self.processes.stop(f"celery-worker-{tag}", grace=15)

    # -- cells -------------------------------------------------------------------------------------

    def wrk(self, port: int, scenario: str, clients: int, duration: float, tokens: Path,
            stop_after: int = 0) -> WrkRun:
        command = wrk_command(url=f"http://127.0.0.1:{port}", scenario=scenario, clients=clients,
                              duration=duration, tokens=tokens, stop_after=stop_after)
        self.active_wrk = WrkRun(command, self.tmp)
        return self.active_wrk

    def http_cell(self, rev: Revision, scenario: str, clients: int, *, service: str | None = None,
                  port: int | None = None, around=None) -> dict:
        """Warm-up, then the measured wrk run with CPU sampled just before and after it.

        ``service`` names the gunicorn instance whose CPU is the service's (default: the
        revision's healthy one); ``around``, when given, is called before and after the measured
        run (receipt counts).
        """
        service = service or f"gunicorn-{rev.label}"
        port = port or self.port(rev)
        if self.args.warmup > 0:
            warmup = self.wrk(port, scenario, clients, self.args.warmup, rev.tokens)
            warmup.wait(timeout=self.args.warmup + 60)
        marks = [around()] if around else []
        before = self.meter.sample(service)
        run = self.wrk(port, scenario, clients, self.args.duration, rev.tokens)
        raw = run.wait(timeout=self.args.duration + 60)
        after = self.meter.sample(service)
        if around:
            marks.append(around())
        self.active_wrk = None
        cell = summarize_wrk(raw, EXPECTED_STATUS[scenario])
        cell["cpu_ms"] = cpu_per_op(before, after, cell["ok"], driver_cpu_s=run.cpu_s)
        cell["machine_cpu"] = machine_share(before, after)
        if around:
            cell["marks"] = marks
        return cell

    def ceiling_cell(self, rev: Revision, clients: int) -> dict | None:
        if not rev.data["sql"].get("statements"):
            return None
        out = self.tmp / f"ceiling-{time.time_ns()}.json"
        command = [self.python, "-m", "bench.ceiling", "--plan", str(rev.sql_plan), "--clients",
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
        return cell

    def record(self, rev: Revision, round_: int, cell_name: str, clients: int, cell: dict) -> None:
        self.records.append({"rev": rev.label, "round": round_, "cell": cell_name, "clients": clients,
                             **cell})
        extra = ""
        if cell_name == "e2e":
            extra = (f"  receipts {cell['receipts_per_s']:.1f}/s, backlog {cell['backlog_start']:,}"
                     f" -> {cell['backlog_end']:,}") if cell.get("receipts_per_s") is not None else ""
        errors = ", ".join(f"{k}: {v}" for k, v in cell.get("errors", {}).items()) or "none"
        if math.isinf(cell["p99_ms"]) and "in_flight" in cell:
            errors += f"; {cell['answered']} answered, {cell['in_flight']} unanswered at the end"
        log(f"  {round_ + 1} {rev.label:8} {cell_name:9} c={clients:<3} {cell['per_s']:8.1f}/s  "
            f"p50 {cell['p50_ms']:7.1f}  p99 {cell['p99_ms']:7.1f} ms  "
            f"service {cell['cpu_ms'].get('service', 0):5.2f} ms/op  errors {errors}{extra}")

    def measure(self, revisions: list[Revision]) -> None:
        """Every cell, the revisions alternated cell by cell (baseline, new, baseline, new with two
        rounds), so that the machine's drift over minutes falls on both alike."""
        rounds = range(self.args.rounds)
        for rev in revisions:
            env = self.pg_env(DATABASES[rev.label], REDIS_DBS[rev.label])
            self.start_service(rev, env, rev.data["token"], name=f"gunicorn-{rev.label}", port=self.port(rev))
        for clients in self.args.clients:
            log(f"{clients} client(s)")
            for cell_name in ("ceiling", "spread", "hot", "read"):
                for round_ in rounds:
                    for rev in revisions:
                        if cell_name != "ceiling":
                            cell = self.http_cell(rev, cell_name, clients)
                            self.record(rev, round_, cell_name, clients, cell)
                            continue
                        sizes = pg_counts(DATABASES[rev.label])
                        cell = self.ceiling_cell(rev, clients)
                        if cell:
                            cell["table_rows"] = {"transactions": sizes["transactions"],
                                                  "ledger_entries": sizes["ledger_entries"]}
                            self.record(rev, round_, "ceiling", clients, cell)

        log(f"end to end: spread at {TOP_CLIENTS} clients, one Celery worker and beat rendering receipts")
        for round_ in rounds:
            for rev in revisions:
                self.record(rev, round_, "e2e", TOP_CLIENTS, self.e2e_cell(rev))
        for rev in revisions:
            self.stop_service(f"gunicorn-{rev.label}")

        log(f"spread at {TOP_CLIENTS} clients, the broker black-holed (accepts, never answers)")
        if self.black_hole is None:
            self.black_hole = BlackHole()
        broker = f"redis://127.0.0.1:{self.black_hole.port}/0"
        for round_ in rounds:
            for rev in revisions:
                name, port = f"gunicorn-{rev.label}-blackhole", self.args.port + 2
                env = self.pg_env(DATABASES[rev.label], REDIS_DBS[rev.label], broker=broker)
                self.start_service(rev, env, rev.data["token"], name=name, port=port)
                cell = self.http_cell(rev, "spread", TOP_CLIENTS, service=name, port=port)
                self.stop_service(name)
                self.black_hole.drop_connections()
                self.record(rev, round_, "blackhole", TOP_CLIENTS, cell)

    def e2e_cell(self, rev: Revision) -> dict:
        """spread at 32 clients while one worker and beat render receipts on the same cores."""
        database = DATABASES[rev.label]
        self.start_receipt_workers(rev, self.pg_env(database, REDIS_DBS[rev.label]), rev.label)
        try:
            cell = self.http_cell(rev, "spread", TOP_CLIENTS, around=lambda: (
                time.monotonic(), self.meter.sample(f"gunicorn-{rev.label}"), pg_counts(database)))
        finally:
            self.stop_receipt_workers(rev.label)
        (t0, s0, c0), (t1, s1, c1) = cell.pop("marks")
        if c0["ready"] is not None:
            rendered = c1["ready"] - c0["ready"]
            cell.update(receipts_per_s=rendered / (t1 - t0), backlog_start=c0["owed"], backlog_end=c1["owed"],
                        celery_ms_per_receipt=(s1["groups"]["Celery"] - s0["groups"]["Celery"])
                        / procs.HERTZ * 1000 / max(1, rendered))
        return cell

    # -- history ---------------------------------------------------------------------------------

    def history(self, rev: Revision) -> list[dict]:
        """First and deep page at each history size, sampled in turn (one request of each page per
        pass, in a shuffled order), so that whatever else the machine does at a moment, and the
        position in the pass, weigh on every page alike."""
        from bench.stats import median, percentile

        data = getattr(self, "history_data", None)
        if not data or not data.get("history"):
            return []
        log("history pages (new revision)")
        env = self.pg_env(DATABASES["history"], REDIS_DBS["history"])
        port = self.args.port + 2
        self.start_service(rev, env, data["token"], name="gunicorn-history", port=port)
        pages = []
        for owner in data["history"]:
            pages.append({"rows": owner["rows"], "page": "first", "depth": 0, "token": owner["token"],
                          "path": "/api/transactions/", "timings": []})
            cursor = history_cursor(owner["deep_position"])
            pages.append({"rows": owner["rows"], "page": "deep", "depth": owner["depth"],
                          "token": owner["token"], "path": f"/api/transactions/?cursor={cursor}",
                          "timings": []})
        order = random.Random(7)
        try:
            for sample in range(HISTORY_WARMUP + self.args.history_samples):
                for page in order.sample(pages, len(pages)):
                    if page.get("error"):
                        continue
                    try:
                        status, body, elapsed = http_get(port, page["path"], page["token"])
                        if status != 200 or len(json.loads(body)["results"]) != 20:
                            raise RuntimeError(f"{status} {body[:200]!r}")
                    except (RuntimeError, ValueError, KeyError, OSError) as exc:
                        page["error"] = str(exc)
                        log(f"  {page['rows']:>9,} rows, {page['page']} page FAILED: {exc}")
                        continue
                    if sample >= HISTORY_WARMUP:
                        page["timings"].append(elapsed * 1000)
        finally:
            self.stop_service("gunicorn-history")
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

    # -- embedded default drain -------------------------------------------------------------------

    def embedded_drain(self, rev: Revision) -> dict:
        """SQLite and the filesystem broker under the tree's var/: a burst, then one worker drains it."""
        var = rev.root / "var"
        if self.tmp not in rev.root.parents:
            raise RuntimeError(f"refusing to reset {var}: not a temporary tree")
        shutil.rmtree(var, ignore_errors=True)
        env = self.embedded_env()
        tokens = self.tmp / f"tokens-embedded-{rev.label}.txt"
        log(f"embedded default drain: {rev.label} (SQLite, filesystem broker, no worker during the burst)")
        data = self.prepare(rev, env, "setup", name=f"embedded-{rev.label}",
                            extra=["--pool", "100", "--tokens", str(tokens)])
        name = f"gunicorn-embedded-{rev.label}"
        port = self.args.port + 2
        self.start_service(rev, env, data["token"], name=name, port=port)
        db_path = var / "db.sqlite3"
        target = self.args.drain_burst
        before = sqlite_counts(db_path)
        clients = 8
        run = self.wrk(port, "spread", clients, 600, tokens, stop_after=math.ceil(target / 2))
        began = time.monotonic()
        while run.running():
            if sqlite_counts(db_path)["transfers"] - before["transfers"] >= target:
                break
            time.sleep(0.2)
        run.interrupt()
        raw = run.wait(timeout=60)
        burst_s = time.monotonic() - began
        self.active_wrk = None
        burst = summarize_wrk(raw, 201)
        self.stop_service(name)
        queued = sqlite_counts(db_path)
        sent = queued["transfers"] - before["transfers"]
        result = {"rev": rev.label, "burst_clients": clients, "burst_sent": sent,
                  "burst_per_s": sent / burst_s,
                  "burst_errors": burst["errors"], "burst_p99_ms": burst["p99_ms"],
                  "owed_before": queued["owed"], "cap_s": self.args.drain_cap}
        log(f"  burst: {sent:,} transfers in {burst_s:.1f} s; {queued['owed']:,} receipts owed")

        tag = f"embedded-{rev.label}"
        started = time.monotonic()
        self.start_receipt_workers(rev, env, tag, wait=False)
        worker, ready_at, first_at = f"celery-worker-{tag}", None, None
        counts, sample = queued, None
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            if ready_at is None:
                if not self.processes.alive(worker):
                    raise RuntimeError(f"the Celery worker exited:\n{self.processes.log_tail(worker)}")
                if " ready." in self.processes.log_tail(worker, 200):
                    ready_at, sample = now, self.meter.sample()
                elif now - started > 90:
                    raise RuntimeError(f"the Celery worker did not start:\n{self.processes.log_tail(worker)}")
            counts = sqlite_counts(db_path)
            if first_at is None and counts["ready"] > queued["ready"]:
                first_at = now
            if ready_at is not None and (counts["owed"] <= 0 or now - ready_at >= self.args.drain_cap):
                break
        end, end_sample = time.monotonic(), self.meter.sample()
        self.stop_receipt_workers(tag)
        rendered = counts["ready"] - queued["ready"]
        result.update(left=counts["owed"], rendered=rendered, startup_s=ready_at - started,
                      first_s=math.nan if first_at is None else first_at - ready_at,
                      drain_s=end - ready_at, per_s=rendered / (end - ready_at),
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
        self.setup_history(new)
        self.measure([baseline, new])
        history = self.history(new)
        drains = []
        for rev in {"both": (baseline, new), "new": (new,), "none": ()}[args.drain_revisions]:
            drains.append(self.embedded_drain(rev))
        log("ledger checks")
        ledgers = {}
        for rev in (baseline, new):
            ledgers[rev.label] = self.prepare(rev, self.pg_env(DATABASES[rev.label], REDIS_DBS[rev.label]),
                                              "ledger", name=f"ledger-{rev.label}")
        from bench.report import render, versions

        meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(), "cpu_model": cpu_model(), "platform": platform.platform(),
            "versions": versions(pg_server_version()),
            "baseline": baseline.description, "new": new.description,
            "rounds": args.rounds, "duration": args.duration, "warmup": args.warmup, "quick": args.quick,
            "clients": args.clients, "workers": args.workers, "pool": args.pool,
            "drain_burst": args.drain_burst, "drain_cap": args.drain_cap,
            "history_samples": args.history_samples, "history_warmup": HISTORY_WARMUP,
            "elapsed_s": time.time() - self.started, "notes": self.notes,
        }
        text, failures = render(
            meta=meta, records=self.records, history=history, drains=drains, ledgers=ledgers,
            sql={rev.label: rev.data["sql"] for rev in (baseline, new)},
            documented=new.documented, profile=getattr(self, "history_data", {}).get("profile"))
        print(text)
        Path(args.output).write_text(text)
        log(f"wrote {args.output} in {meta['elapsed_s']:.0f} s")
        if not all(ledger["ok"] for ledger in ledgers.values()):
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
    import yaml

    try:
        schema = yaml.safe_load(schema_path.read_text())
        responses = schema["paths"]["/api/wallet/transfer/"]["post"]["responses"]
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return {}
    documented = {}
    for status, answer in responses.items():
        codes = set()
        for media in (answer.get("content") or {}).values():
            for example in (media.get("examples") or {}).values():
                value = example.get("value")
                if isinstance(value, dict) and isinstance(value.get("code"), str):
                    codes.add(value["code"])
        documented[str(status)] = codes
    return documented


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed: `make bench` installs Debian's wrk package (apt-get install wrk).",
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
