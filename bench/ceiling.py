"""The database's own ceiling: a transfer's exact SQL, straight against PostgreSQL.

Replays the statements captured from a real transfer (``bench.capture``) with ``pgbench``,
PostgreSQL's own C client (prepared statements, ``--clients`` connections over as many
threads as cores): the statements become a pgbench script in which each parameter is
replaced by its role (random sender and receiver, random amount in cents, ``now()``, the new
transaction's id read back with ``\\gset``). Latencies come from pgbench's per-transaction
log, cut to the measured window. Closed loop; warm-up, then a measured window; writes a JSON
summary.
"""
import argparse
import glob
import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter

from bench.stats import summarize


def pgbench_path() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


ROLE_SQL = {
    "sender_user": ":sender_user",
    "receiver_user": ":receiver_user",
    "amount": "(:cents::numeric / 100)",
    "debit": "(0 - :cents::numeric / 100)",
    "now": "now()",
    "transaction_id": ":txn_id",
    # The running balance written with the ledger entries: pgbench cannot keep the locked rows'
    # balances, so it reads the just-updated row again (one index lookup more than the API does).
    "sender_balance": '(SELECT "balance" FROM "wallets_wallet" WHERE "user_id" = :sender_user)',
    "receiver_balance": '(SELECT "balance" FROM "wallets_wallet" WHERE "user_id" = :receiver_user)',
}


def _literal(item: dict) -> str:
    if "list" in item:
        return "ARRAY[" + ", ".join(_literal(element) for element in item["list"]) + "]"
    if "role" in item:
        if item["role"] not in ROLE_SQL:
            raise ValueError(f"the pgbench ceiling cannot replay role {item['role']!r}")
        return ROLE_SQL[item["role"]]
    value = item["const"]
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def pgbench_script(statements: list[dict], user_ids: list[int]) -> str:
    """A pgbench script running the captured statements for a random pair of distinct users."""
    low, high = min(user_ids), max(user_ids)
    if sorted(user_ids) != list(range(low, high + 1)):
        raise ValueError("the pgbench ceiling needs the funded users' ids to be contiguous")
    lines = [f"\\set sender_user random({low}, {high})",
             f"\\set receiver_user random({low}, {high - 1})",
             "\\set receiver_user :receiver_user"
             " + (case when :receiver_user >= :sender_user then 1 else 0 end)",
             "\\set cents random(1, 100)",
             "BEGIN;"]
    for statement in statements:
        pieces = statement["sql"].split("%s")
        if len(pieces) != len(statement["params"]) + 1:
            raise ValueError(f"placeholders and parameters differ in {statement['sql']}")
        sql = pieces[0] + "".join(_literal(param) + piece
                                  for param, piece in zip(statement["params"], pieces[1:], strict=True))
        sql = sql.replace("%%", "%")
        sql = " ".join(sql.split())
        if re.match(r'INSERT INTO "?transactions_transaction"? ', sql):
            lines.append(sql + " \\gset txn_")
        else:
            lines.append(sql + ";")
    lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def run_pgbench(*, dsn: dict, script: str, clients: int, warmup: float, duration: float) -> dict:
    """Run pgbench for warm-up + duration; summarize the transactions that ended in the window."""
    work = tempfile.mkdtemp(prefix="pgbench-")
    try:
        script_path = os.path.join(work, "transfer.sql")
        with open(script_path, "w") as handle:
            handle.write(script)
        threads = max(1, min(clients, os.cpu_count() or 1))
        command = [pgbench_path(), "-h", dsn["host"], "-p", str(dsn["port"]), "-U", dsn["user"],
                   "-n", "-M", "prepared", "-f", script_path, "-c", str(clients), "-j", str(threads),
                   "-T", str(round(warmup + duration)), "-l", "--log-prefix",
                   os.path.join(work, "log"), dsn["dbname"]]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        done = subprocess.run(command, capture_output=True, text=True, cwd=work)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        t_start, t_end = started + warmup, started + warmup + duration
        latencies, ok, errors = [], 0, Counter()
        for path in glob.glob(os.path.join(work, "log*")):
            with open(path) as handle:
                for line in handle:
                    fields = line.split()
                    ended = int(fields[4]) + int(fields[5]) / 1e6
                    if not t_start <= ended <= t_end:
                        continue
                    if not fields[2].isdigit():
                        errors[f"pgbench {fields[2]}"] += 1
                        continue
                    latency = int(fields[2]) / 1e6
                    if ended - latency >= t_start:
                        latencies.append(latency)
                        ok += 1
        if done.returncode != 0:
            errors[f"pgbench exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"] += 1
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return summarize(latencies_s=latencies, ok=ok, errors=dict(errors), seconds=duration,
                         client_cpu_s=cpu * duration / (warmup + duration))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True, help="JSON: the database, statements, user ids")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.plan) as handle:
        plan = json.load(handle)
    result = run_pgbench(dsn=plan["pg"], script=pgbench_script(plan["statements"], plan["user_ids"]),
                         clients=args.clients, warmup=args.warmup, duration=args.duration)
    result["driver"] = "pgbench"
    with open(args.out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
