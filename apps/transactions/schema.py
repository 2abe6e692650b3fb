"""OpenAPI documentation of the history and receipt endpoints (kept apart from the view code)."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions as drf_exceptions

from apps.core.exceptions import InvalidFilter
from apps.core.ids import BIGINT_MAX
from apps.core.schema import ERROR_RESPONSES, INVALID_INPUT, UNKNOWN_FIELD, error_response
from apps.transactions.exceptions import ReceiptPending
from apps.transactions.serializers import HistoryItemSerializer, ReceiptQuerySerializer

HISTORY_ITEM_EXAMPLE = {
    "id": 42, "kind": "transfer", "direction": "sent",
    "sender": {"id": 1, "username": "alice"}, "receiver": {"id": 2, "username": "bob"},
    "amount": "10.00", "created_at": "2026-03-01T12:00:00Z",
}
DEPOSIT_ITEM_EXAMPLE = {
    "id": 41, "kind": "deposit", "direction": "received",
    "sender": None, "receiver": {"id": 1, "username": "alice"},
    "amount": "100.00", "created_at": "2026-03-01T11:00:00Z",
}

_ISO = ("ISO 8601 date-time, e.g. `2026-03-01T12:00:00+02:00` or `2026-03-01T10:00:00Z` "
        "(percent-encode `+` as `%2B`); without an offset it is UTC.")

_DECIMAL = {"type": "string", "format": "decimal"}

HISTORY_PARAMETERS = [
    OpenApiParameter("counterparty", {"type": "integer", "format": "int64", "minimum": 1,
                                      "maximum": BIGINT_MAX},
                     description="The other party's user id (deposits have none)."),
    OpenApiParameter("min_amount", _DECIMAL, description="Amount at least this, e.g. `10.00`."),
    OpenApiParameter("max_amount", _DECIMAL, description="Amount at most this, e.g. `250.50`."),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME, description=f"Inclusive. {_ISO}"),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME, description=f"Exclusive. {_ISO}"),
]

INVALID_FILTER = error_response(
    "A query parameter is invalid or unknown (filters, `page_size`, `cursor`); "
    "`details` names it.", InvalidFilter,
)

history_schema = extend_schema_view(
    list=extend_schema(
        operation_id="transactions_list",
        tags=["transactions"],
        summary="The caller's transaction history, newest first",
        description=(
            "Every transaction the caller took part in: transfers sent and received, and "
            "deposits. Cursor-paginated: follow `next` / `previous`; a page costs the same "
            "at any depth. Filters combine with AND. Any invalid or unknown query parameter "
            "is a 400 `invalid_filter`, never ignored."
        ),
        parameters=HISTORY_PARAMETERS,
        responses={200: HistoryItemSerializer, 400: INVALID_FILTER, 401: ERROR_RESPONSES[401]},
        examples=[  # each is one item of a page's `results`
            OpenApiExample("Transfer sent", response_only=True, status_codes=["200"],
                           value=HISTORY_ITEM_EXAMPLE),
            OpenApiExample("Deposit received", response_only=True, status_codes=["200"],
                           value=DEPOSIT_ITEM_EXAMPLE),
        ],
    ),
    retrieve=extend_schema(
        operation_id="transactions_retrieve",
        tags=["transactions"],
        summary="One of the caller's transactions",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="The transaction id.")],
        responses={
            200: HistoryItemSerializer,
            401: ERROR_RESPONSES[401],
            404: error_response("No such transaction, or the caller is neither its sender "
                                "nor its receiver.", drf_exceptions.NotFound),
        },
        examples=[OpenApiExample("Transaction", response_only=True, status_codes=["200"],
                                 value=HISTORY_ITEM_EXAMPLE)],
    ),
)

receipt_schema = extend_schema(
    operation_id="transaction_receipt",
    tags=["transactions"],
    summary="Download the receipt of a transaction",
    description="The PDF receipt (or `?format=txt` for the plain-text twin), for the "
                "sender or the receiver only. Receipts are produced in the background "
                "shortly after the transaction; until then the answer is 409 "
                f"`{ReceiptPending.code}`. A receipt whose file has been lost from storage "
                "answers the same 409 while it is produced again.",
    parameters=[ReceiptQuerySerializer],
    responses={
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The receipt."),
        (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The receipt."),
        400: error_response("Invalid query parameter.", INVALID_INPUT, UNKNOWN_FIELD),
        401: ERROR_RESPONSES[401],
        404: error_response("No such transaction of the caller.", drf_exceptions.NotFound),
        409: error_response("The receipt is not produced yet, or is being produced again; "
                            "retry shortly.", ReceiptPending),
    },
)
