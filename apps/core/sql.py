"""Pieces of SQL that one app adds to a statement another app owns."""
from typing import NamedTuple


class StatementPart(NamedTuple):
    """SQL text (for instance data-modifying CTEs) and its parameters, in the order they appear."""

    sql: str
    params: list
