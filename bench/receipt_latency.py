"""How long after a transfer's commit is its receipt ready? ``python -m bench.receipt_latency``.

Runs the service as production does (gunicorn, one Celery worker and beat, from ``toolbox``)
on a fresh PostgreSQL database (``--postgres-url`` names the server) and Redis (``--redis-url``).
Then, at idle, ``--samples`` times: one transfer, then the receipt download polled every 20 ms
until it answers 200. Prints the median, p90 and maximum of "201 received -> receipt
downloadable".
"""
import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from toolbox import client, db, service
from toolbox.processes import Processes, free_port

PASSWORD = "a-long-enough-password-1"
DATABASE = "wallet_bench_latency"


def measure(args) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="wallet-latency-"))
    processes, pg = Processes(tmp), db.server(args.postgres_url)
    db.create(pg, DATABASE)
    env = service.environment(os.environ, secret=os.urandom(32).hex(), database_url=db.url(pg, DATABASE),
                              broker_url=args.redis_url, cache_url=args.redis_url, files=tmp)
    port = free_port()
    try:
        if (done := service.manage(service.ROOT, env, "migrate", "--noinput", "-v0")).returncode:
            raise RuntimeError(f"migrate failed:\n{done.stderr}")
        processes.start("web", service.gunicorn(port), cwd=service.ROOT, env=env)
        processes.start("worker", service.celery_worker("latency"), cwd=service.ROOT, env=env)
        processes.start("beat", service.celery_beat(tmp / "beat"), cwd=service.ROOT, env=env)
        service.wait_web(port, alive=lambda: processes.alive("web"), log=lambda: processes.log_tail("web"))
        service.wait_worker("latency", args.redis_url, alive=lambda: processes.alive("worker"))
        tokens = {}
        for name in ("latency_a", "latency_b"):
            client.request(port, "POST", "/api/auth/register/", body={"username": name, "password": PASSWORD})
            tokens[name] = client.request(port, "POST", "/api/auth/token/", body={
                "username": name, "password": PASSWORD}).json()["access"]
        service.manage(service.ROOT, env, "deposit", "latency_a", "1000.00")
        receiver = client.request(port, "GET", "/api/users/me/", token=tokens["latency_b"]).json()["id"]
        time.sleep(3)  # the worker and beat are up and idle
        latencies = []
        for _ in range(args.samples):
            sent = client.request(port, "POST", "/api/wallet/transfer/", token=tokens["latency_a"],
                                  body={"receiver_id": receiver, "amount": "1.00"})
            committed = time.monotonic()
            if sent.status != 201:
                raise RuntimeError(f"transfer answered {sent.status}: {sent.body[:200]!r}")
            path = f"/api/transactions/{sent.json()['transaction']['id']}/receipt/"
            while client.request(port, "GET", path, token=tokens["latency_a"]).status != 200:
                if time.monotonic() - committed > 30:
                    raise RuntimeError(f"no receipt within 30 s; see {tmp}")
                time.sleep(0.02)
            latencies.append(time.monotonic() - committed)
            time.sleep(random.uniform(0, 2 * args.pause))  # not in step with beat's ticks
        return latencies
    finally:
        processes.stop_all()
        db.drop(pg, DATABASE)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="idle seconds between two samples")
    parser.add_argument("--postgres-url", default=db.DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and its logs")
    args = parser.parse_args(argv)
    ordered = sorted(measure(args))
    print(json.dumps({"samples": len(ordered), "median_s": round(statistics.median(ordered), 3),
                      "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
                      "max_s": round(ordered[-1], 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
