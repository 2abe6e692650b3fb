from apps.transactions.pagination import HistoryCursorPagination


class NewestFirstPagination(HistoryCursorPagination):
    """Keyset pages by id, newest first, with the history's strict `page_size` and `cursor`."""

    ordering = "-id"
