"""The CSV export of a history: pure functions from rows to text, no database.

One line per ledger entry, newest first, in a fixed column order (``HEADER``).
Times are UTC in ISO 8601, amounts have two decimals. A text cell that a
spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is written with a leading ``'`` so it is
shown as text, never run (OWASP's advice on CSV injection).
"""
import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

HEADER = ("id", "time", "kind", "direction", "counterparty_id", "counterparty_username", "amount",
          "balance_after", "description", "original_id")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text``, with a leading ``'`` when a spreadsheet would take it for a formula."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _money(value) -> str:
    return f"{value}"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Line:
    """A file-like object whose ``write`` returns the line: ``csv.writer`` then yields text."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """The header, then one CSV line per row of ``selectors.transaction_export``."""
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for txn_id, created_at, kind, direction, other_id, other, amount, balance_after, memo, original in rows:
        yield writer.writerow((
            txn_id, _utc(created_at), kind, direction, "" if other_id is None else other_id,
            spreadsheet_safe(other or ""), _money(amount), _money(balance_after), spreadsheet_safe(memo),
            "" if original is None else original,
        ))
