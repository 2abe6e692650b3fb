"""The service's processes as production runs them: environment, command lines, readiness.

Readiness is asked of the processes themselves, never read from their logs: a web process is
ready when ``/readyz`` says so (as a load balancer asks), a Celery worker when it answers
Celery's own ``ping`` over the broker under its node name.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from toolbox import client
from toolbox.processes import Processes, free_port

ROOT = Path(__file__).resolve().parent.parent
# Inherited settings that would point the service elsewhere than the run says.
NOT_INHERITED = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PYTHONPATH", "MEDIA_ROOT", "STATIC_ROOT",
                 "DJANGO_SETTINGS_MODULE", "GUNICORN_ACCESS_LOG", "GUNICORN_BIND", "CONN_HEALTH_CHECKS")


def environment(base: dict, *, secret: str, database_url: str, broker_url: str, cache_url: str, files: Path,
                **settings: str) -> dict:
    """Production-shaped settings on ``base`` (the caller's environment): ``DEBUG=false``, every
    request taken as HTTPS from a TLS-terminating proxy, persistent database connections, the
    rate limits far above reach (the books and the speed are measured, not the limiter); the
    uploaded receipts and static files under ``files``; ``settings`` added last."""
    env = {key: value for key, value in base.items() if key not in NOT_INHERITED}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "DATABASE_URL": database_url,
        "CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": cache_url,
        "THROTTLE_MONEY_RATE": "1000000/s",
        "THROTTLE_AUTH_RATE": "1000000/s",
        "MEDIA_ROOT": str(files / "media"),
        "STATIC_ROOT": str(files / "static"),  # created empty: the API serves no static files
        # WARNING: no per-request log line; BENCH_LOG_LEVEL=INFO measures with them written.
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    (files / "static").mkdir(parents=True, exist_ok=True)
    env.update(settings)
    return env


def gunicorn(port: int, *extra: str) -> list[str]:
    """The web process: ``config/gunicorn.py`` as production runs it, on 127.0.0.1:``port``."""
    return [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
            "--bind", f"127.0.0.1:{port}", *extra]


def node(name: str) -> str:
    """A worker's Celery node name, as ``--hostname name@%h`` expands it."""
    return f"{name}@{socket.gethostname()}"


def celery_worker(name: str, *extra: str) -> list[str]:
    """One Celery worker (``--concurrency 1``) named ``node(name)``."""
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
            "--hostname", f"{name}@%h", *extra]


def celery_beat(schedule: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", "beat", "--schedule", str(schedule), *extra]


def manage(root: Path, env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``manage.py`` of the tree at ``root`` with ``env``."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout)


def verify_ledger(root: Path, env: dict) -> str:
    """``manage.py verify_ledger``: ``"clean"``, or ``"FAILED: "`` and what it reported."""
    done = manage(root, env, "verify_ledger")
    return "clean" if done.returncode == 0 else f"FAILED: {(done.stdout + done.stderr).strip()[-3000:]}"


def start_redis(processes: Processes, directory: Path, name: str = "redis") -> int:
    """A Redis of the run's own on a free port, nothing persisted; its port once it answers."""
    import redis

    port = free_port()
    processes.start(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", str(directory)], cwd=directory,
                    env=dict(os.environ))
    probe = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)

    def ready() -> bool:
        with contextlib.suppress(redis.RedisError):
            return probe.ping()
        return False

    _wait("redis-server", ready, lambda: processes.alive(name), lambda: processes.log_tail(name), 20)
    return port


def _wait(what: str, ready: Callable[[], bool], alive: Callable[[], bool], log: Callable[[], str],
          timeout: float, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, ValueError):
            if ready():
                return
        if not alive():
            raise RuntimeError(f"{what} exited before it was ready:\n{log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready within {timeout:.0f} s:\n{log()}")
        time.sleep(every)


def wait_web(port: int, *, alive: Callable[[], bool], log: Callable[[], str] = str, timeout: float = 90,
             needs: tuple[str, ...] = ()) -> None:
    """Until ``/readyz`` answers 200; with ``needs``, until those parts alone are up (a run that
    takes the broker away on purpose still waits for the database)."""
    def ready() -> bool:
        answer = client.request(port, "GET", "/readyz", timeout=5)
        report = answer.json()
        return answer.status == 200 or (bool(needs) and all(report.get(part) == "ok" for part in needs))

    _wait(f"the web process on port {port}", ready, alive, log, timeout)


def wait_worker(name: str, broker_url: str, *, alive: Callable[[], bool], log: Callable[[], str] = str,
                timeout: float = 90) -> None:
    """Until the worker ``name`` answers Celery's ``ping`` (its pool is up and it consumes)."""
    from celery import Celery

    # Both directions named outright: Celery prefers a CELERY_BROKER_URL in the environment to an
    # app's broker_url, and the caller's environment may name another broker.
    app = Celery("toolbox", set_as_current=False)
    app.conf.update(broker_read_url=broker_url, broker_write_url=broker_url)
    try:
        # A worker answers in milliseconds once it listens: short pings, often, so that the
        # moment it is ready is known to within a few tenths of a second.
        _wait(f"the Celery worker {name}",
              lambda: bool(app.control.ping(destination=[node(name)], timeout=0.2)), alive, log, timeout,
              every=0.05)
    finally:
        app.close()
