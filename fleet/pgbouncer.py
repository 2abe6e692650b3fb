"""PgBouncer for the fleet: Debian's package, a generated configuration, a foreground child.

Transaction pooling (``pool_mode = transaction``) with a small server pool, so that the
clients (every gunicorn and Celery process) really share few server connections.
"""
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg2

PACKAGE = "pgbouncer"
INSTALLER = Path(__file__).resolve().parent.parent / "scripts" / "apt-install.sh"


def binary() -> str | None:
    """The pgbouncer executable; Debian installs it in /usr/sbin, which a user's PATH may lack."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").is_file() else None


def ensure_installed(log) -> str:
    """The pgbouncer executable, installing Debian's package when it is missing
    (``scripts/apt-install.sh``: the package lists are refreshed only if the install fails)."""
    if found := binary():
        return found
    log(f"pgbouncer not found: installing Debian's {PACKAGE} package")
    if subprocess.run(["sh", str(INSTALLER), PACKAGE]).returncode != 0 or not (found := binary()):
        raise RuntimeError(f"could not install {PACKAGE}: apt-get install {PACKAGE}, then run again")
    return found


def write_config(directory: Path, *, port: int, database: str, server: dict, pool_size: int) -> Path:
    """``pgbouncer.ini`` and its user list in ``directory``: one database, trust on loopback.

    ``server`` holds the PostgreSQL server's host, port, user and password (may be empty).
    """
    password = f" password={server['password']}" if server.get("password") else ""
    (directory / "userlist.txt").write_text(f'"{server["user"]}" ""\n')
    ini = directory / "pgbouncer.ini"
    ini.write_text(f"""[databases]
{database} = host={server['host']} port={server['port']} dbname={database} user={server['user']}{password}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / 'userlist.txt'}
admin_users = {server['user']}
stats_users = {server['user']}
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
max_db_connections = {pool_size}
log_connections = 0
log_disconnections = 0
stats_period = 60
""")
    return ini


def command(executable: str, ini: Path) -> list[str]:
    """The foreground command line. PgBouncer refuses to run as root: as root, it drops to the
    ``postgres`` user (``-u``), which must be able to read ``ini`` and its user list."""
    if os.geteuid() != 0:
        return [executable, str(ini)]
    for path in (ini.parent, ini, ini.parent / "userlist.txt"):
        shutil.chown(path, user="postgres")
    return [executable, "-u", "postgres", str(ini)]


def admin_connect(port: int, user: str):
    """PgBouncer's admin console (the ``pgbouncer`` pseudo-database): simple queries only."""
    connection = psycopg2.connect(host="127.0.0.1", port=port, dbname="pgbouncer", user=user)
    connection.autocommit = True
    return connection


def wait_ready(port: int, database: str, user: str, alive, timeout: float = 20) -> None:
    """Until a query through PgBouncer reaches PostgreSQL; ``alive()`` says the child still runs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = psycopg2.connect(host="127.0.0.1", port=port, dbname=database, user=user)
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            connection.close()
            return
        except psycopg2.OperationalError:
            if not alive() or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class PoolWatch:
    """PgBouncer's own view of the run, from its admin console: the peaks of ``SHOW POOLS``
    (client connections, clients waiting for a server connection, server connections) sampled
    while the load runs, and the totals of ``SHOW STATS``."""

    def __init__(self, port: int, user: str, database: str):
        self.port, self.user, self.database = port, user, database
        self.peaks = {"cl_active": 0, "cl_waiting": 0, "sv_active": 0, "sv_total": 0}
        self.connection = None

    def _row(self, command: str) -> dict | None:
        """The database's row of an admin ``SHOW`` command; None when the console is unreachable."""
        try:
            if self.connection is None:
                self.connection = admin_connect(self.port, self.user)
            with self.connection.cursor() as cursor:
                cursor.execute(command)
                columns = [c.name for c in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        except psycopg2.Error:
            self.connection = None
            return None
        return next((row for row in rows if row["database"] == self.database), None)

    def sample(self) -> None:
        if not (row := self._row("SHOW POOLS")):
            return
        servers = sum(int(row[k]) for k in ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"))
        for name, value in (("cl_active", row["cl_active"]), ("cl_waiting", row["cl_waiting"]),
                            ("sv_active", row["sv_active"]), ("sv_total", servers)):
            self.peaks[name] = max(self.peaks[name], int(value))

    def totals(self) -> dict:
        """Transactions and queries PgBouncer carried for the database, and the clients' wait."""
        if not (stats := self._row("SHOW STATS")):
            return {}
        return {"transactions": int(stats["total_xact_count"]), "queries": int(stats["total_query_count"]),
                "client_wait_s": round(float(stats["total_wait_time"]) / 1e6, 1)}

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
