"""The fleet's processes: PostgreSQL database, PgBouncer, Redis, web processes, Celery.

Everything runs on 127.0.0.1 on free ports and under one temporary folder; every child runs
in a session of its own (``bench.procs.Processes``), so a SIGKILL takes the whole process
group (a gunicorn master and its workers, a Celery worker and its pool) at once. Every
process of the service reaches the database through PgBouncer only.
"""
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
import redis

from bench.procs import Processes
from fleet import pgbouncer

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 90  # seconds for a process to come up on a busy two-core machine


@dataclass
class Shape:
    """How many of each process, and the settings the run changes."""

    webs: int = 3
    web_concurrency: int = 2  # gunicorn sync workers per web process
    workers: int = 2
    beats: int = 2  # one is the deployment rule; the second shows that a stray one is harmless
    pool_size: int = 4  # PgBouncer server connections: fewer than the 8 clients, so they share them
    lease_seconds: int = 10  # RECEIPT_LEASE_SECONDS: a killed worker's claim comes back this fast


def postgres_server(url: str) -> dict:
    """host, port, user and password of a ``postgres://`` URL (its database name is ignored)."""
    parts = urlsplit(url)
    return {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
            "user": unquote(parts.username or "postgres"), "password": unquote(parts.password or "")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str, timeout: float = 5) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class Stack:
    """Start, kill and restart the fleet's processes; ``stop`` ends all of them."""

    def __init__(self, *, server: dict, shape: Shape, log):
        self.server, self.shape, self.log = server, shape, log
        self.tmp = Path(tempfile.mkdtemp(prefix="wallet-fleet-"))
        self.tmp.chmod(0o755)  # PgBouncer, dropped to the postgres user, reads its folder inside
        self.processes = Processes(self.tmp)
        self.database = f"wallet_fleet_{secrets.token_hex(4)}"
        self.redis_port = self.pgbouncer_port = 0
        self.web_ports = [free_port() for _ in range(shape.webs)]
        self.secret = secrets.token_urlsafe(50)
        self.database_created = False
        self.ready_lines: dict[str, int] = {}  # worker logs are appended to across restarts

    # -- PostgreSQL, PgBouncer, Redis -----------------------------------------------------------

    def admin(self):
        connection = psycopg2.connect(dbname="postgres", **self.server_args())
        connection.autocommit = True
        return connection

    def server_args(self) -> dict:
        args = {"host": self.server["host"], "port": self.server["port"], "user": self.server["user"]}
        if self.server["password"]:
            args["password"] = self.server["password"]
        return args

    def direct(self):
        """A connection straight to PostgreSQL, for the checks (the observer, not the fleet)."""
        connection = psycopg2.connect(dbname=self.database, **self.server_args())
        connection.autocommit = True
        return connection

    def start_infrastructure(self) -> None:
        executable = pgbouncer.ensure_installed(self.log)
        with contextlib.closing(self.admin()) as admin, admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {self.database}")
        self.database_created = True
        self._mkdir("static")  # empty: the API serves no static files, WhiteNoise wants the folder
        self.redis_port = free_port()
        self.processes.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
                             cwd=self.tmp, env=dict(os.environ))
        self.pgbouncer_port = free_port()
        ini = pgbouncer.write_config(self._mkdir("pgbouncer"), port=self.pgbouncer_port,
                                     database=self.database, server=self.server,
                                     pool_size=self.shape.pool_size)
        self.processes.start("pgbouncer", pgbouncer.command(executable, ini), cwd=self.tmp,
                             env=dict(os.environ))
        pgbouncer.wait_ready(self.pgbouncer_port, self.database, self.server["user"],
                             lambda: self.processes.alive("pgbouncer"))
        self._wait_redis()

    def _mkdir(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir()
        path.chmod(0o755)
        return path

    def _wait_redis(self) -> None:
        client = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.RedisError as exc:
                if not self.processes.alive("redis") or time.monotonic() > deadline:
                    tail = self.processes.log_tail("redis")
                    raise RuntimeError(f"redis-server did not start:\n{tail}") from exc
                time.sleep(0.1)

    # -- the service's environment and commands ---------------------------------------------------

    def env(self) -> dict:
        """Production-shaped settings; the database through PgBouncer, the broker our Redis."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PYTHONPATH",
                            "GUNICORN_BIND", "GUNICORN_ACCESS_LOG", "CONN_HEALTH_CHECKS")}
        auth = self.server["user"] + (f":{self.server['password']}" if self.server["password"] else "")
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",  # as behind a TLS proxy
            "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{self.pgbouncer_port}/{self.database}",
            "DATABASE_POOLER": "transaction",
            "CONN_MAX_AGE": "600",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CACHE_URL": f"redis://127.0.0.1:{self.redis_port}/1",
            "THROTTLE_MONEY_RATE": "1000000/s",  # the books are tested here, not the rate limits
            "JWT_ACCESS_MINUTES": "120",
            "RECEIPT_LEASE_SECONDS": str(self.shape.lease_seconds),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "STATIC_ROOT": str(self.tmp / "static"),
            "WEB_CONCURRENCY": str(self.shape.web_concurrency),
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        return env

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def migrate(self) -> None:
        """Through PgBouncer too: every migration is one transaction, which transaction pooling keeps."""
        done = self.manage("migrate", "--noinput", "-v0")
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{done.stdout}{done.stderr}")

    def seed(self, *, users: int, amount: str) -> dict:
        command = [sys.executable, "-m", "fleet.prepare", "--users", str(users), "--amount", amount]
        done = subprocess.run(command, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"fleet.prepare failed:\n{done.stdout}{done.stderr}")
        return json.loads(done.stdout.splitlines()[-1])

    # -- the service's processes ---------------------------------------------------------------------

    def web_name(self, index: int) -> str:
        return f"web-{index + 1}"

    def start_web(self, index: int) -> None:
        self.processes.start(self.web_name(index), [
            sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi",
            "--bind", f"127.0.0.1:{self.web_ports[index]}"], cwd=ROOT, env=self.env())

    def wait_web(self, index: int) -> None:
        """Until the web process answers ``/readyz`` with 200, as a load balancer would wait."""
        name, url = self.web_name(index), f"http://127.0.0.1:{self.web_ports[index]}/readyz"
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            with contextlib.suppress(OSError, ValueError):
                if http_get(url)[0] == 200:
                    return
            if not self.processes.alive(name) or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready:\n{self.processes.log_tail(name)}")
            time.sleep(0.2)

    def worker_name(self, index: int) -> str:
        return f"worker-{index + 1}"

    def start_worker(self, index: int) -> None:
        name = self.worker_name(index)
        self.processes.start(name, [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "1",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"fleet-{name}@%h"],
            cwd=ROOT, env=self.env())

    def wait_worker(self, index: int) -> None:
        name = self.worker_name(index)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            ready = self._log_text(name).count(" ready.")
            if ready > self.ready_lines.get(name, 0):
                self.ready_lines[name] = ready
                return
            if not self.processes.alive(name) or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{self.processes.log_tail(name)}")
            time.sleep(0.2)

    def worker_busy(self, index: int) -> bool:
        """Since its last start, the worker's log shows a task received and not finished yet."""
        text = self._log_text(self.worker_name(index))
        text = text[text.rfind(" ready."):]
        return text.count("] received") > text.count("] succeeded in") + text.count("] raised")

    def start_beat(self, index: int) -> None:
        name = f"beat-{index + 1}"
        self.processes.start(name, [
            sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "warning",
            "--schedule", str(self.tmp / f"{name}-schedule")], cwd=ROOT, env=self.env())

    def _log_text(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def service_names(self) -> list[str]:
        return [name for name in self.processes.running if name.split("-")[0] in ("web", "worker", "beat")]

    # -- teardown --------------------------------------------------------------------------------------

    def stop(self, *, keep: bool = False) -> None:
        for name in self.service_names():
            self.processes.stop(name, sig=signal.SIGTERM, grace=10)
        self.processes.stop_all()
        if self.database_created and not keep:
            with contextlib.suppress(psycopg2.Error), contextlib.closing(self.admin()) as admin, \
                    admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
        if keep:
            self.log(f"kept: database {self.database}, logs in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

