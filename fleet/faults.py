"""The faults of the fleet test, and readiness following the dependencies.

A web process is SIGKILLed at a third of the load and a Celery worker at a half, each
restarted a second later and waited for (``/readyz`` for the web process, Celery's ping for
the worker). Whatever they were doing is lost: requests in flight, a claimed batch of
receipts.
"""
import contextlib
import time

from fleet.bank import Load
from fleet.stack import Stack
from toolbox import client

LEASED_SQL = ("SELECT count(*) FROM receipts_receipt "
              "WHERE status = 'pending' AND attempts > 0 AND due_at > now()")


def worker_to_kill(stack: Stack, db, timeout: float = 10) -> int:
    """The worker to SIGKILL: one caught running the relay while receipts are claimed and
    leased, so that a batch most likely dies with it and only the lease brings it back; the
    first worker when no such moment comes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [index for index in range(stack.shape.workers) if stack.worker_busy(index)]
        if busy:
            with db.cursor() as cursor:
                cursor.execute(LEASED_SQL)
                if cursor.fetchone()[0]:
                    return busy[0]
        time.sleep(0.005)
    return 0


def load_with_faults(stack: Stack, load: Load, seconds: float, say) -> list[dict]:
    """The load for ``seconds``, with the faults on schedule; returns what was killed when."""
    began = time.monotonic()
    kills = []
    load.start()
    with contextlib.closing(stack.direct()) as db:
        for at, kind in ((seconds / 3, "web"), (seconds / 2, "worker")):
            time.sleep(max(0.0, began + at - time.monotonic()))
            if kind == "web":
                index = 1
                name, start, wait = stack.web_name(index), stack.start_web, stack.wait_web
            else:
                index = worker_to_kill(stack, db)
                name, start, wait = stack.worker_name(index), stack.start_worker, stack.wait_worker
            killed = time.monotonic()
            stack.processes.kill(name)  # SIGKILL the group: no shutdown, answers lost mid-flight
            say(f"  SIGKILL {name} at {killed - began:.1f} s")
            time.sleep(1)
            start(index)
            wait(index)
            kills.append({"process": name, "at_s": round(killed - began, 1),
                          "back_after_s": round(time.monotonic() - killed, 1)})
            say(f"  {name} restarted and ready {kills[-1]['back_after_s']} s after the kill")
    time.sleep(max(0.0, began + seconds - time.monotonic()))
    return kills


def readiness_follows_dependencies(stack: Stack) -> tuple[dict, list[str]]:
    """Every web process is live and ready; then with Redis stopped, and then PgBouncer,
    ``/readyz`` answers 503 naming the part while ``/healthz`` still answers 200."""
    failures, seen = [], {}

    def probe(port: int, path: str) -> tuple[int, dict]:
        answer = client.request(port, "GET", path, timeout=5)
        return answer.status, answer.json()

    for port in stack.web_ports:
        for path in ("/healthz", "/readyz"):
            status, body = probe(port, path)
            if status != 200:
                failures.append(f"port {port} {path} answered {status} {body}")
    for part, process in (("broker", "redis"), ("database", "pgbouncer")):
        stack.processes.stop(process, grace=5)
        status, body = probe(stack.web_ports[0], "/readyz")
        live, _ = probe(stack.web_ports[0], "/healthz")
        seen[f"{process} stopped"] = {"readyz": status, part: body.get(part), "healthz": live}
        if status != 503 or body.get(part) != "down" or live != 200:
            failures.append(f"with {process} stopped: /readyz {status} {body}, /healthz {live}")
    return seen, failures
