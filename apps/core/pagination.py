from rest_framework.pagination import CursorPagination


class HistoryCursorPagination(CursorPagination):
    """Keyset pagination: a page costs one index range scan at any depth."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-transaction_id"
