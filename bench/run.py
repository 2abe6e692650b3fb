"""Orchestrates the benchmark: ``make bench`` (or ``python -m bench.run --help``).

1. A fresh PostgreSQL database (``wallet_bench_run``), migrated; 1,000 funded
   users, two users with 10,000 and 1,000,000 transactions; JWTs minted in-process.
2. SQL per transfer and the exact statements, captured from one real transfer.
3. A pyinstrument profile of transfers through the WSGI app, in-process.
4. gunicorn started as production would (DEBUG off, persistent connections),
   then per concurrency: ``ceiling`` (the captured SQL straight against
   PostgreSQL), ``spread`` and ``hot`` (the HTTP load generator, a separate
   process), and the ``history`` page latencies.
5. The ledger check; the table goes to stdout and to ``BENCHMARKS.md``.
Exits non-zero when the ledger is not intact (and, with ``--strict``, when a target fails).
"""
import argparse
import base64
import datetime as dt
import http.client
import json
import os
import platform
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "wallet_bench_run"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
POOL_SIZE = 1000
FUNDING = Decimal("1000000.00")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Transfer throughput and latency vs PostgreSQL's ceiling.")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds per cell")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--history-rows", default="10000,1000000")
    parser.add_argument("--history-samples", type=int, default=40)
    parser.add_argument("--profile-transfers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: config/gunicorn.py, (2 x cores) + 1)")
    parser.add_argument("--worker-class", default=os.environ.get("BENCH_WORKER_CLASS", "sync"))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    parser.add_argument("--worker-connections", type=int,
                        default=int(os.environ.get("BENCH_WORKER_CONNECTIONS", 1000)),
                        help="gthread: connections a worker holds at once (gunicorn's default 1000)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8765)))
    parser.add_argument("--receipt-worker", choices=["after", "during"], default="after",
                        help="run the Celery receipt worker after the transfer cells, measuring how fast "
                             "it drains the queue (default), or during them, on the same cores")
    parser.add_argument("--drain-seconds", type=float, default=10)
    parser.add_argument("--quick", action="store_true", help="smoke run: short cells, small histories")
    parser.add_argument("--tune", action="store_true",
                        help="only compare gunicorn configurations on spread (no BENCHMARKS.md)")
    parser.add_argument("--strict", action="store_true", help="exit non-zero when a target fails")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = min(args.duration, 3), min(args.warmup, 1)
        args.history_rows, args.history_samples, args.profile_transfers = "10000,100000", 15, 200
    if args.workers is None:
        args.workers = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["workers"]
    args.clients = [int(c) for c in args.clients.split(",")]
    args.history_rows = [int(r) for r in args.history_rows.split(",")]
    return args


def configure_environment(secret: str) -> dict:
    env = {
        "DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB_NAME}",
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "600",
        "JWT_ACCESS_MINUTES": str(24 * 60),
        "LOG_LEVEL": "WARNING",
        # As in production behind a TLS-terminating proxy: HTTPS is announced by the proxy's header
        # (every bench request sends it), so the HTTPS redirect and HSTS stay on.
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        # Measure the service, not the rate limiter: limits far above any reachable rate.
        "THROTTLE_MONEY_RATE": "1000000/s",
        "THROTTLE_AUTH_RATE": "1000000/s",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/5"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5"),
        "MEDIA_ROOT": str(RESULTS / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    return env


def fresh_database() -> None:
    import psycopg2

    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB_NAME}")
    admin.close()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes ---------------------------------------------------------------

class Service:
    """gunicorn (and optionally a Celery worker) as child processes."""

    def __init__(self, args, env):
        self.args, self.env, self.procs = args, {**os.environ, **env}, []

    def start_receipt_worker(self):
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
             "--concurrency", "1", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=self.env, start_new_session=True))

    def start(self, *, workers, worker_class, threads, receipts):
        # The production configuration (config/gunicorn.py); the tuning mode overrides the workers.
        command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
                   "--bind", f"127.0.0.1:{self.args.port}", "--workers", str(workers),
                   "--worker-class", worker_class, "--threads", str(threads),
                   "--worker-connections", str(self.args.worker_connections),
                   "--log-level", "warning", "--keep-alive", "30"]
        self.procs.append(subprocess.Popen(command, cwd=ROOT, env=self.env, start_new_session=True))
        if receipts:
            self.start_receipt_worker()

    def stop(self):
        for proc in self.procs:  # the main processes only: gunicorn and Celery shut down gracefully
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []


def http_get(port: int, path: str, token: str) -> tuple[int, bytes, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    began = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}",
                                                  "X-Forwarded-Proto": "https"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - began
    connection.close()
    return response.status, body, elapsed


def wait_ready(port: int, token: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            status, _, _ = http_get(port, "/api/wallet/me/", token)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the service did not become ready")


def cpu_busy_sample() -> tuple[int, int]:
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


CPU_GROUPS = (("gunicorn", "service"), ("postgres", "PostgreSQL"), ("bench.loadgen", "load generator"),
              ("pgbench", "load generator"), ("bench.ceiling", "load generator"), ("redis-server", "Redis"),
              ("celery", "Celery worker"))


def cpu_by_process() -> dict[str, int]:
    """CPU ticks used so far by each group of processes (the service, PostgreSQL, ...)."""
    ticks: dict[str, int] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        group = next((label for marker, label in CPU_GROUPS if marker in command or marker in name), "other")
        ticks[group] = ticks.get(group, 0) + int(fields[11]) + int(fields[12])
    return ticks


def run_cell(module: str, plan_path: Path, extra: list[str], args, tmp: Path) -> dict:
    out = tmp / f"{module}-{time.time_ns()}.json"
    command = [sys.executable, "-m", f"bench.{module}", "--plan", str(plan_path),
               "--warmup", str(args.warmup), "--duration", str(args.duration), "--out", str(out), *extra]
    proc = subprocess.Popen(command, cwd=ROOT)
    # Sample CPU strictly inside the load's measured window: the load generator (and
    # pgbench's connections) exit when it ends, and a process that has exited takes its
    # CPU ticks with it.
    sampled = max(0.5, args.duration - 1.0)
    time.sleep(args.warmup + 0.6)
    busy0, total0 = cpu_busy_sample()
    groups0 = cpu_by_process()
    time.sleep(sampled)
    busy1, total1 = cpu_busy_sample()
    groups1 = cpu_by_process()
    if proc.wait() != 0:
        raise RuntimeError(f"{module} failed")
    result = json.loads(out.read_text())
    result["machine_cpu"] = (busy1 - busy0) / max(1, total1 - total0)
    ops = max(1.0, result["per_s"] * sampled)
    hertz = os.sysconf("SC_CLK_TCK")
    result["cpu_ms_per_op"] = {group: (groups1.get(group, 0) - groups0.get(group, 0)) / hertz * 1000 / ops
                               for group in sorted(set(groups0) | set(groups1))}
    return result


# --- the parts -----------------------------------------------------------------

def history_cursor(position: int) -> str:
    """A ``CursorPagination`` cursor that starts after ``position`` (the DRF encoding)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


def measure_history(port: int, owners: dict, samples: int) -> list[dict]:
    from django.db import connection

    rows = []
    for size, (user, token) in owners.items():
        depth = int(size * 0.9)
        with connection.cursor() as cursor:
            cursor.execute("SELECT transaction_id FROM transactions_ledgerentry WHERE user_id = %s "
                           "ORDER BY transaction_id DESC OFFSET %s LIMIT 1", [user.pk, depth])
            position = cursor.fetchone()[0]
        pages = {"first": "/api/transactions/",
                 f"deep (row {depth:,})": f"/api/transactions/?cursor={history_cursor(position)}"}
        for label, path in pages.items():
            for _ in range(5):
                http_get(port, path, token)
            timings = []
            for _ in range(samples):
                status, body, elapsed = http_get(port, path, token)
                if status != 200 or len(json.loads(body)["results"]) != 20:
                    raise RuntimeError(f"history page failed: {status} {body[:200]!r}")
                timings.append(elapsed * 1000)
            from bench.stats import median, percentile
            rows.append({"rows": size, "page": label.split()[0], "label": label,
                         "median_ms": median(timings), "p95_ms": percentile(timings, 95)})
    return rows


def check_ledger() -> dict:
    """Money is conserved: balances sum to deposits, no negative balance, each wallet matches its log."""
    from django.core.management import call_command, get_commands
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(balance), 0), count(*) FILTER (WHERE balance < 0) "
                       "FROM wallets_wallet")
        balances, negative = cursor.fetchone()
        cursor.execute("SELECT coalesce(sum(amount), 0) FROM transactions_transaction WHERE kind = 'deposit'")
        deposits = cursor.fetchone()[0]
        cursor.execute("""
            WITH flows AS (
                SELECT receiver_id AS user_id, amount FROM transactions_transaction
                UNION ALL
                SELECT sender_id, -amount FROM transactions_transaction WHERE sender_id IS NOT NULL
            )
            SELECT count(*) FROM wallets_wallet w
            LEFT JOIN (SELECT user_id, sum(amount) AS net FROM flows GROUP BY user_id) f
                ON f.user_id = w.user_id
            WHERE w.balance <> coalesce(f.net, 0)""")
        mismatched = cursor.fetchone()[0]
        cursor.execute("""
            SELECT count(*) FROM transactions_transaction t
            LEFT JOIN (SELECT transaction_id, count(*) AS n FROM transactions_ledgerentry
                       GROUP BY transaction_id) e ON e.transaction_id = t.id
            WHERE coalesce(e.n, 0) <> CASE WHEN t.sender_id IS NULL THEN 1 ELSE 2 END""")
        bad_entries = cursor.fetchone()[0]
    result = {"balances": balances, "deposits": deposits, "negative": negative,
              "mismatched_wallets": mismatched, "transactions_without_both_entries": bad_entries,
              "verify_ledger": "not available"}
    if "verify_ledger" in get_commands():
        try:
            call_command("verify_ledger")
            result["verify_ledger"] = "passed"
        except BaseException as exc:
            result["verify_ledger"] = f"FAILED: {exc}"
    result["ok"] = (balances == deposits and negative == 0 and mismatched == 0 and bad_entries == 0
                    and not str(result["verify_ledger"]).startswith("FAILED"))
    return result


def redis_flush(url: str) -> int:
    """Empty the benchmark's Redis database (its broker queue and rate counters); return the queue length."""
    import redis

    client = redis.Redis.from_url(url)
    queued = client.llen("celery")
    client.flushdb()
    return queued


def measure_receipt_drain(service: Service, seconds: float) -> dict:
    """Start one Celery worker (concurrency 1) on the queued receipts; count what it renders."""
    from apps.transactions.models import Receipt

    def ready() -> int:
        return Receipt.objects.filter(status=Receipt.Status.READY).count()

    import redis

    queued = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).llen("celery")
    service.start_receipt_worker()
    before, deadline = ready(), time.time() + 60
    while ready() == before and time.time() < deadline:  # wait for the worker to start
        time.sleep(0.2)
    first, groups0 = ready(), cpu_by_process()
    time.sleep(seconds)
    rendered, groups1 = ready() - first, cpu_by_process()
    service.stop()
    ticks = groups1.get("Celery worker", 0) - groups0.get("Celery worker", 0)
    cpu_ms = ticks / os.sysconf("SC_CLK_TCK") * 1000
    return {"queued": queued, "per_s": rendered / seconds, "seconds": seconds,
            "cpu_ms_per_receipt": cpu_ms / max(1, rendered)}


def main(argv=None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from bench import seed
    from bench.report import SCENARIOS

    env = configure_environment(seed.random_secret())
    receipts = args.receipt_worker == "during"
    started = time.time()
    log(f"fresh database {DB_NAME}")
    fresh_database()
    redis_flush(env["CELERY_BROKER_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    seed.separate_id_spaces()
    log(f"{POOL_SIZE} funded users")
    pool = seed.create_users("bench", POOL_SIZE)
    seed.fund(pool, FUNDING)
    users = [{"id": u.pk, "token": seed.token_for(u)} for u in pool]
    extra = seed.create_users("capture", 2)
    seed.fund(extra[:1], Decimal("123.45"))
    seed.fund(extra[1:], Decimal("50.00"))

    from bench.capture import capture_transfer

    sql = capture_transfer(sender=extra[0], receiver=extra[1], amount=Decimal("7.77"))
    log(f"a transfer runs {sql['count']} SQL statements (transaction control excluded)")

    owners = {}
    if not args.tune:
        for size in args.history_rows:
            owner, other = seed.create_users(f"history{size}_", 2)
            log(f"history: {size:,} transactions for one user (INSERT ... SELECT generate_series)")
            began = time.perf_counter()
            seed.create_history(owner=owner, other=other, rows=size)
            log(f"  {time.perf_counter() - began:.1f} s")
            owners[size] = (owner, seed.token_for(owner))
        seed.analyze()

    profile = None
    if not args.tune and args.profile_transfers:
        log(f"profile: {args.profile_transfers} transfers through the WSGI app (pyinstrument)")
        from bench.profiling import profile_transfers
        profile = profile_transfers(users=users, count=args.profile_transfers,
                                    text_path=RESULTS / "profile.txt")
    connection.close()

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    http_plan = tmp / "http.json"
    http_plan.write_text(json.dumps({"url": f"http://127.0.0.1:{args.port}", "users": users, "hot": 0}))
    sql_plan = tmp / "sql.json"
    dsn = f"dbname={DB_NAME} host={PG['host']} port={PG['port']} user={PG['user']}"
    sql_plan.write_text(json.dumps({"dsn": dsn, "pg": {**PG, "dbname": DB_NAME},
                                    "statements": sql["statements"],
                                    "user_ids": [u["id"] for u in users]}, default=str))

    service = Service(args, env)
    cells, tuning = [], []
    try:
        if args.tune:
            configs = [("sync", w, 1) for w in (3, 4, 5, 6, 8)] + [("gthread", w, t) for w, t in
                                                                    ((2, 4), (4, 2), (5, 1))]
            for worker_class, workers, threads in configs:
                service.start(workers=workers, worker_class=worker_class, threads=threads, receipts=False)
                wait_ready(args.port, users[0]["token"])
                for clients in args.clients:
                    result = run_cell("loadgen", http_plan, ["--scenario", "spread", "--clients",
                                                             str(clients)], args, tmp)
                    tuning.append({"config": f"{worker_class} w={workers} t={threads}",
                                   "clients": clients, **result})
                    log(f"{worker_class} w={workers} t={threads} c={clients}: {result['per_s']:.0f}/s "
                        f"p99 {result['p99_ms']:.1f} ms errors {result['errors']}")
                service.stop()
            from bench.report import tuning_table
            print(tuning_table(tuning))
            return 0

        service.start(workers=args.workers, worker_class=args.worker_class, threads=args.threads,
                      receipts=receipts)
        wait_ready(args.port, users[0]["token"])
        for clients in args.clients:
            for scenario in SCENARIOS:
                if scenario == "ceiling":
                    result = run_cell("ceiling", sql_plan, ["--clients", str(clients)], args, tmp)
                else:
                    result = run_cell("loadgen", http_plan, ["--scenario", scenario, "--clients",
                                                             str(clients)], args, tmp)
                cells.append({"scenario": scenario, "clients": clients, **result})
                log(f"{scenario:8} c={clients:<3} {result['per_s']:8.0f}/s  p50 {result['p50_ms']:6.1f}  "
                    f"p99 {result['p99_ms']:6.1f} ms  errors {result['errors']}  "
                    f"cpu {result['machine_cpu']:.0%}")
        log("history pages")
        history = measure_history(args.port, owners, args.history_samples)
        service.stop()
        drain = None
        if args.receipt_worker == "after" and args.drain_seconds > 0:
            log(f"receipts: one Celery worker drains the queue for {args.drain_seconds:g} s")
            drain = measure_receipt_drain(service, args.drain_seconds)
            log(f"  {drain['per_s']:.1f} receipts/s, {drain['cpu_ms_per_receipt']:.1f} ms CPU each "
                f"({drain['queued']:,} were queued)")
    finally:
        service.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        redis_flush(env["CELERY_BROKER_URL"])

    log("ledger check")
    ledger = check_ledger()
    from bench.report import render, versions

    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "cpu_model": cpu_model(),
        "versions": versions(),
        "platform": platform.platform(),
        "gunicorn": f"{args.worker_class}, {args.workers} workers" + (
            f" x {args.threads} threads" if args.worker_class == "gthread" else ""),
        "receipts": receipts,
        "duration": args.duration, "warmup": args.warmup, "quick": args.quick,
        "elapsed_s": time.time() - started,
    }
    text, failures = render(meta=meta, cells=cells, history=history, sql=sql, ledger=ledger,
                            profile=profile, drain=drain)
    print(text)
    Path(args.output).write_text(text)
    log(f"wrote {args.output} in {meta['elapsed_s']:.0f} s")
    if not ledger["ok"]:
        log("LEDGER CHECK FAILED")
        return 1
    if args.strict and failures:
        log(f"targets failed: {', '.join(failures)}")
        return 2
    return 0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
