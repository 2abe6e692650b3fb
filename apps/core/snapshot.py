"""One consistent view of the database for a read made of several statements."""
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def consistent_snapshot() -> Iterator[None]:
    """Every statement inside reads the database as of one instant.

    One ``REPEATABLE READ, READ ONLY`` transaction, so writes that commit meanwhile are not
    seen and are not held back (and it is one server transaction, so it works behind a
    transaction pooler). Inside a transaction already open, the reads share that one.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
