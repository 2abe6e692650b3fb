"""How long after a transfer's commit is its receipt ready? ``python -m bench.receipt_latency``.

Runs the service exactly as ``make run`` starts it (``scripts/run.sh``: gunicorn,
one Celery worker and Celery beat), on the embedded defaults (SQLite and the
filesystem queue) unless ``--database-url``/``--broker-url`` are given, from a
copy of the working tree in a temporary folder so that nothing of ``var/`` is
touched. Then, at idle, ``--samples`` times: one transfer, then the receipt
download polled every 20 ms until it answers 200. Prints the median, p90 and
maximum of "201 received -> receipt downloadable".
"""
import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-enough-password-1"


def _request(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _wait_up(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            _request("GET", f"{base}/api/schema/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the service did not start")


def measure(args) -> list[float]:
    workdir = Path(tempfile.mkdtemp(prefix="wallet-latency-"))
    shutil.copytree(ROOT, workdir / "app", ignore=shutil.ignore_patterns(".venv", "var", ".git", "*.pyc",
                                                                          "__pycache__", ".env"))
    app = workdir / "app"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update({"DEBUG": "true", "SECRET_KEY": "latency-bench-key-0123456789abcdefghijklmnopqrstuvwxyz",
                "HOST": "127.0.0.1", "PORT": str(args.port), "PY": sys.executable,
                "THROTTLE_MONEY_RATE": "100000/min", "THROTTLE_AUTH_RATE": "100000/min",
                "GUNICORN_ACCESS_LOG": "", "CELERY_CONCURRENCY": "1"})
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.broker_url:
        env["CELERY_BROKER_URL"] = args.broker_url
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=app, env=env, check=True)
    log = open(workdir / "service.log", "wb")  # noqa: SIM115  (open for the service's lifetime)
    service = subprocess.Popen(["sh", "scripts/run.sh"], cwd=app, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{args.port}"
    try:
        _wait_up(base, time.monotonic() + 60)
        tokens = {}
        for name in ("latency_a", "latency_b"):
            _request("POST", f"{base}/api/auth/register/", {"username": name, "password": PASSWORD})
            status, body = _request("POST", f"{base}/api/auth/token/",
                                    {"username": name, "password": PASSWORD})
            tokens[name] = json.loads(body)["access"]
        subprocess.run([*manage, "deposit", "latency_a", "1000.00"], cwd=app, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        _, me = _request("GET", f"{base}/api/users/me/", token=tokens["latency_b"])
        receiver = json.loads(me)["id"]
        time.sleep(3)  # the worker and beat are up and idle
        latencies = []
        for _ in range(args.samples):
            status, body = _request("POST", f"{base}/api/wallet/transfer/",
                                    {"receiver_id": receiver, "amount": "1.00"}, tokens["latency_a"])
            committed = time.monotonic()
            if status != 201:
                raise RuntimeError(f"transfer answered {status}: {body[:200]!r}")
            url = f"{base}/api/transactions/{json.loads(body)['transaction']['id']}/receipt/"
            while (_request("GET", url, token=tokens["latency_a"])[0]) != 200:
                if time.monotonic() - committed > 30:
                    raise RuntimeError("no receipt within 30 s; see " + str(workdir / "service.log"))
                time.sleep(0.02)
            latencies.append(time.monotonic() - committed)
            time.sleep(random.uniform(0, 2 * args.pause))  # not in step with beat's ticks
        return latencies
    finally:
        os.killpg(service.pid, signal.SIGINT)
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
        log.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0, help="idle seconds between two samples")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--broker-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and its log")
    args = parser.parse_args(argv)
    latencies = measure(args)
    ordered = sorted(latencies)
    print(json.dumps({
        "samples": len(latencies),
        "median_s": round(statistics.median(latencies), 3),
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "max_s": round(ordered[-1], 3),
        "database": "PostgreSQL" if args.database_url else "SQLite (embedded default)",
        "broker": args.broker_url or "filesystem queue (embedded default)",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
