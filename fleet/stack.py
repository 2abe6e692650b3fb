"""The fleet's processes: PostgreSQL database, PgBouncer, Redis, web processes, Celery.

Everything runs on 127.0.0.1 on free ports and under one temporary folder; every child runs
in a session of its own (``toolbox.processes.Processes``), so a SIGKILL takes the whole process
group (a gunicorn master and its workers, a Celery worker and its pool) at once. Every
process of the service reaches the database through PgBouncer only.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fleet import pgbouncer
from toolbox import db, service
from toolbox.processes import Processes, free_port

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
        self.log_offsets: dict[str, int] = {}  # where each worker's log began at its last start

    # -- PostgreSQL, PgBouncer, Redis -----------------------------------------------------------

    def direct(self):
        """A connection straight to PostgreSQL, for the checks (the observer, not the fleet)."""
        return db.connect(self.server, self.database)

    def start_infrastructure(self) -> None:
        executable = pgbouncer.ensure_installed(self.log)
        db.create(self.server, self.database)
        self.database_created = True
        self.redis_port = service.start_redis(self.processes, self.tmp)
        self.pgbouncer_port = free_port()
        directory = self.tmp / "pgbouncer"
        directory.mkdir(mode=0o755)
        directory.chmod(0o755)
        ini = pgbouncer.write_config(directory, port=self.pgbouncer_port, database=self.database,
                                     server=self.server, pool_size=self.shape.pool_size)
        self.processes.start("pgbouncer", pgbouncer.command(executable, ini), cwd=self.tmp,
                             env=dict(os.environ))
        pgbouncer.wait_ready(self.pgbouncer_port, self.database, self.server["user"],
                             lambda: self.processes.alive("pgbouncer"))

    # -- the service's environment and commands ---------------------------------------------------

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict:
        """Production-shaped settings; the database through PgBouncer, the broker our Redis."""
        return service.environment(
            os.environ, secret=self.secret, files=self.tmp, broker_url=self.broker_url,
            database_url=db.url(self.server, self.database, port=self.pgbouncer_port),
            cache_url=f"redis://127.0.0.1:{self.redis_port}/1", DATABASE_POOLER="transaction",
            JWT_ACCESS_MINUTES="120", RECEIPT_LEASE_SECONDS=str(self.shape.lease_seconds),
            WEB_CONCURRENCY=str(self.shape.web_concurrency))

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return service.manage(service.ROOT, self.env(), *args)

    def migrate(self) -> None:
        """Through PgBouncer too: every migration is one transaction, which transaction pooling keeps."""
        done = self.manage("migrate", "--noinput", "-v0")
        if done.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{done.stdout}{done.stderr}")

    def seed(self, *, users: int, amount: str) -> dict:
        """Funded users and their tokens, by the benchmark's own seeding (``bench/prepare.py``)."""
        out, tokens = self.tmp / "prepare.json", self.tmp / "tokens.txt"
        command = [sys.executable, str(service.ROOT / "bench" / "prepare.py"), "--root", str(service.ROOT),
                   "--out", str(out), "--tokens", str(tokens), "--pool", str(users), "--prefix", "fleet",
                   "--amount", amount]
        done = subprocess.run(command, cwd=service.ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"bench/prepare.py failed:\n{done.stdout}{done.stderr}")
        pairs = (line.split() for line in tokens.read_text().splitlines())
        return {"tokens": {int(user): token for user, token in pairs},
                "deposits": json.loads(out.read_text())["deposits"]}

    # -- the service's processes ---------------------------------------------------------------------

    def web_name(self, index: int) -> str:
        return f"web-{index + 1}"

    def start_web(self, index: int) -> None:
        self.processes.start(self.web_name(index), service.gunicorn(self.web_ports[index]), cwd=service.ROOT,
                             env=self.env())

    def wait_web(self, index: int) -> None:
        """Until the web process answers ``/readyz`` with 200, as a load balancer would wait."""
        name = self.web_name(index)
        service.wait_web(self.web_ports[index], alive=lambda: self.processes.alive(name),
                         log=lambda: self.processes.log_tail(name), timeout=READY_TIMEOUT)

    def worker_name(self, index: int) -> str:
        return f"worker-{index + 1}"

    def start_worker(self, index: int) -> None:
        name = self.worker_name(index)
        log = self.processes.log_path(name)
        self.log_offsets[name] = log.stat().st_size if log.exists() else 0
        self.processes.start(name, service.celery_worker(
            f"fleet-{name}", "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            cwd=service.ROOT, env=self.env())

    def wait_worker(self, index: int) -> None:
        """Until the worker answers Celery's ping."""
        name = self.worker_name(index)
        service.wait_worker(f"fleet-{name}", self.broker_url, alive=lambda: self.processes.alive(name),
                            log=lambda: self.processes.log_tail(name), timeout=READY_TIMEOUT)

    def worker_busy(self, index: int) -> bool:
        """Since its last start, the worker's log shows a task received and not finished yet."""
        name = self.worker_name(index)
        with open(self.processes.log_path(name), errors="replace") as log:
            log.seek(self.log_offsets.get(name, 0))
            text = log.read()
        return text.count("] received") > text.count("] succeeded in") + text.count("] raised")

    def start_beat(self, index: int) -> None:
        name = f"beat-{index + 1}"
        self.processes.start(name, service.celery_beat(self.tmp / f"{name}-schedule", "-l", "warning"),
                             cwd=service.ROOT, env=self.env())

    # -- teardown --------------------------------------------------------------------------------------

    def stop(self, *, keep: bool = False) -> None:
        for name in list(self.processes.running):
            if name.split("-")[0] in ("web", "worker", "beat"):
                self.processes.stop(name, sig=signal.SIGTERM, grace=10)
        self.processes.stop_all()
        if self.database_created and not keep:
            db.drop(self.server, self.database)
        if keep:
            self.log(f"kept: database {self.database}, logs in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
