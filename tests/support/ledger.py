"""The ledger's maintenance procedure (docs/ledger.md), for tests that must rewrite history."""
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def ledger_maintenance():
    """Inside, this session's ordinary triggers are off: history may be updated or deleted, and
    what is written here is not checked for balance at commit.

    ``SET LOCAL session_replication_role = replica`` (a superuser's setting) within one
    transaction, reset at the end of the block. Tests use it to backdate movements and to
    tamper with the books on purpose; nothing in the service does. The balance checks owed
    by earlier writes run first, against the books as they were.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            with transaction.atomic():
                yield
        finally:
            cursor.execute("SET LOCAL session_replication_role = origin")
