"""Long reads in keyset batches: flat memory, and no cursor left open on the database server.

Each batch is one short statement (``key > last seen ORDER BY key LIMIT n``,
along the key's index), so a read of a million rows holds one batch in
memory, costs the same per batch at any depth, and keeps nothing on the
server between batches: it works unchanged behind a transaction pooler,
where Django's ``.iterator()`` would need a server-side cursor.
"""
from collections.abc import Iterator

from django.db.models import QuerySet


def keyset_rows(rows: QuerySet, *, key: str, batch_size: int, descending: bool = False) -> Iterator[tuple]:
    """The tuples of ``rows`` (a ``values_list`` whose first column is the unique ``key``), in
    ``key`` order, read ``batch_size`` at a time. Rows written meanwhile past the last batch
    read are included; rows before it are not read again."""
    ordered = rows.order_by(f"-{key}" if descending else key)
    after = f"{key}__lt" if descending else f"{key}__gt"
    last = None
    while True:
        batch = list((ordered if last is None else ordered.filter(**{after: last}))[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last = batch[-1][0]
