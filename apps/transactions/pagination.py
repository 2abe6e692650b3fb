import re

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from apps.core.exceptions import InvalidFilter
from apps.core.ids import bigint_from_text

_PAGE_SIZE_RE = re.compile(r"[0-9]{1,9}")
CURSOR_PATTERN = r"^[A-Za-z0-9+/]+={0,2}$"


class HistoryCursorPagination(CursorPagination):
    """Keyset pagination: a page costs one index range scan at any depth.

    The ordering key is unique, so a cursor is just "rows after this id": no
    OFFSET ever. ``page_size`` outside 1..max_page_size and a cursor this API
    did not issue are a 400 ``invalid_filter``, never silently replaced.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-transaction_id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _PAGE_SIZE_RE.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise self.page_size_refusal()
        return int(raw)

    def page_size_refusal(self) -> InvalidFilter:
        return InvalidFilter.on_param(self.page_size_query_param, "invalid_page_size",
                        f"Must be an integer from 1 to {self.max_page_size}.")

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = False
        # This API only issues cursors that point at an id, with no offset.
        if cursor is not None and (
            cursor is False or cursor.offset != 0
            or (cursor.position is not None and bigint_from_text(cursor.position, minimum=0) is None)
        ):
            raise InvalidFilter.on_param(self.cursor_query_param, "invalid_cursor",
                           "Not a cursor from a previous page's next or previous link.")
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Items per page, 1 to {self.max_page_size} (default {self.page_size}); "
                    "anything else is a 400 `invalid_filter`."
                )
                parameter["schema"].update(
                    minimum=1, maximum=self.max_page_size, default=self.page_size,
                )
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "Opaque cursor taken from the `next` or `previous` link of a page; any other "
                    "value is a 400 `invalid_filter`."
                )
                # What this API issues: base64 (an empty cursor is refused, not ignored).
                parameter["schema"].update(minLength=1, pattern=CURSOR_PATTERN)
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        links = response["properties"]
        links["next"]["example"] = "https://wallet.example.com/api/transactions/?cursor=cD00MQ%3D%3D"
        links["previous"]["example"] = "https://wallet.example.com/api/transactions/?cursor=cj0xJnA9NjE%3D"
        links["next"]["description"] = "The next (older) page; null on the last page."
        links["previous"]["description"] = "The previous (newer) page; null on the first page."
        response["required"] = ["next", "previous", "results"]  # always present, null or not
        return response
