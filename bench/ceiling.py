"""The database's own ceiling: a transfer's exact SQL, straight against PostgreSQL.

Replays the statements captured from a real transfer (``bench.capture``):
lock both wallets in one query in id order, one UPDATE for both balances, one
INSERT of the transaction, one INSERT of its two ledger entries, COMMIT.
``--clients`` connections in total, each driven by its own thread, spread
over ``--procs`` processes so the Python driver is not limited by one GIL.
Closed loop; warm-up, then a measured window; writes a JSON summary.
"""
import argparse
import datetime as dt
import json
import multiprocessing
import random
import resource
import threading
import time
from collections import Counter
from decimal import Decimal

import psycopg2
import psycopg2.errors

from bench.stats import summarize


def _value(item: dict, values: dict):
    if "list" in item:
        return [_value(element, values) for element in item["list"]]
    return item["const"] if "const" in item else values[item["role"]]


def _bind(template: list[dict], values: dict) -> list:
    return [_value(item, values) for item in template]


def transfer(cursor, statements: list[dict], sender: int, receiver: int, amount: Decimal) -> str | None:
    """One transfer; returns None on success or the refusal code (rolled back by the caller)."""
    values = {"sender_user": sender, "receiver_user": receiver, "amount": amount,
              "now": dt.datetime.now(dt.UTC)}
    for statement in statements:
        cursor.execute(statement["sql"], _bind(statement["params"], values))
        sql = statement["sql"].lstrip()
        if sql.startswith("SELECT"):
            names = [col.name for col in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            by_user = {row["user_id"]: row for row in rows}
            if sender not in by_user or receiver not in by_user:
                return "not_found"
            if by_user[sender]["balance"] < amount:
                return "insufficient_funds"
            values.update(sender_wallet=by_user[sender]["id"], receiver_wallet=by_user[receiver]["id"],
                          sender_balance=by_user[sender]["balance"] - amount,
                          receiver_balance=by_user[receiver]["balance"] + amount)
        elif sql.startswith('INSERT INTO "transactions_transaction"'):
            values["transaction_id"] = cursor.fetchone()[0]
        elif cursor.description is not None:
            cursor.fetchall()
    return None


def _worker(dsn, statements, users, seed, t_start, t_end, out, lock):
    rng = random.Random(seed)
    connection = psycopg2.connect(dsn)
    cursor = connection.cursor()
    latencies, ok, errors = [], 0, Counter()
    while True:
        began = time.perf_counter()
        if began >= t_end:
            break
        sender, receiver = rng.sample(users, 2)
        amount = Decimal(rng.randint(1, 100)) / 100
        key = None
        try:
            key = transfer(cursor, statements, sender, receiver, amount)
            if key is None:
                connection.commit()
            else:
                connection.rollback()
        except psycopg2.Error as exc:
            connection.rollback()
            key = type(exc).__name__
        done = time.perf_counter()
        if t_start <= began and done <= t_end:
            latencies.append(done - began)
            if key is None:
                ok += 1
            else:
                errors[key] += 1
    connection.close()
    with lock:
        out["latencies"].extend(latencies)
        out["ok"] += ok
        out["errors"].update(errors)


def _process(dsn, statements, users, threads, index, t_start, t_end, queue):
    out = {"latencies": [], "ok": 0, "errors": Counter()}
    lock = threading.Lock()
    workers = [threading.Thread(target=_worker, args=(dsn, statements, users, index * 1000 + n,
                                                      t_start, t_end, out, lock))
               for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = usage.ru_utime + usage.ru_stime
    queue.put(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True, help="JSON: dsn, statements, user ids")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.plan) as handle:
        plan = json.load(handle)
    procs = max(1, min(args.procs, args.clients))
    shares = [args.clients // procs + (1 if i < args.clients % procs else 0) for i in range(procs)]
    # Wall-clock window shared by all processes (perf_counter is system-wide on Linux).
    t_start = time.perf_counter() + 0.5 + args.warmup
    t_end = t_start + args.duration
    queue = multiprocessing.get_context("fork").Queue()
    processes = [multiprocessing.get_context("fork").Process(
        target=_process, args=(plan["dsn"], plan["statements"], plan["user_ids"], share, i,
                               t_start, t_end, queue)) for i, share in enumerate(shares)]
    for process in processes:
        process.start()
    parts = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = [value for part in parts for value in part["latencies"]]
    errors = Counter()
    for part in parts:
        errors.update(part["errors"])
    result = summarize(latencies_s=latencies, ok=sum(part["ok"] for part in parts), errors=dict(errors),
                       seconds=args.duration, client_cpu_s=sum(part["cpu"] for part in parts))
    with open(args.out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
