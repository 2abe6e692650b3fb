from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from apps.core.exceptions import ApiError


class InvalidCursor(ApiError):
    code = "invalid_cursor"
    message = "The pagination cursor is not valid."


class HistoryCursorPagination(CursorPagination):
    """Keyset pagination: a page costs one index range scan at any depth."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-transaction_id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:  # a malformed parameter is a 400, not a missing resource
            raise InvalidCursor() from exc
