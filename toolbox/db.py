"""PostgreSQL: the server named by a URL, databases created fresh and dropped."""
import contextlib
from urllib.parse import unquote, urlsplit

import psycopg2

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def server(url: str = DEFAULT_URL) -> dict:
    """host, port, user and password of a ``postgres://`` URL (its database name is ignored)."""
    parts = urlsplit(url)
    found = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
             "user": unquote(parts.username or "postgres")}
    if parts.password:
        found["password"] = unquote(parts.password)
    return found


def url(pg: dict, database: str, *, port: int | None = None) -> str:
    """The ``DATABASE_URL`` of ``database`` on ``pg`` (or on ``port`` of 127.0.0.1: a pooler)."""
    auth = pg["user"] + (f":{pg['password']}" if pg.get("password") else "")
    host = f"127.0.0.1:{port}" if port else f"{pg['host']}:{pg['port']}"
    return f"postgres://{auth}@{host}/{database}"


def connect(pg: dict, database: str = "postgres"):
    """An autocommit connection straight to PostgreSQL (an observer's, not the service's)."""
    connection = psycopg2.connect(dbname=database, **pg)
    connection.autocommit = True
    return connection


def create(pg: dict, database: str) -> None:
    """``database`` created empty, dropped first if a previous run left it."""
    with contextlib.closing(connect(pg)) as admin, admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {database}")


def drop(pg: dict, database: str) -> None:
    with contextlib.suppress(psycopg2.Error), contextlib.closing(connect(pg)) as admin, \
            admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def server_version(pg: dict) -> str:
    try:
        with contextlib.closing(connect(pg)) as connection, connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    except psycopg2.Error:
        return "unknown"
