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
from apps.core.filters import UTCDateTimeField
from apps.core.ids import BIGINT_MAX
from apps.core.money import AMOUNT_BOUND_PATTERN
from apps.core.schema import (
    ERROR_RESPONSES,
    INVALID_INPUT,
    ApiResponse,
    ErrorSerializer,
    error_code,
    error_details,
    error_message,
    error_response,
    unknown_field,
)
from apps.receipts.exceptions import ReceiptPending
from apps.transactions.filters import RANGE_TOO_LONG, RANGE_TOO_LONG_CODE, STATEMENT_MAX_DAYS
from apps.transactions.pagination import HistoryCursorPagination
from apps.transactions.serializers import HistoryItemSerializer, ReceiptQuerySerializer, StatementSerializer

HISTORY_ITEM_EXAMPLE = {
    "id": 42, "kind": "transfer", "direction": "sent",
    "sender": {"id": 1, "username": "alice"}, "receiver": {"id": 2, "username": "bob"},
    "amount": "10.00", "balance_after": "90.00", "created_at": "2026-03-01T12:00:00Z",
    "description": "Dinner, Friday",
}
DEPOSIT_ITEM_EXAMPLE = {
    "id": 41, "kind": "deposit", "direction": "received",
    "sender": None, "receiver": {"id": 1, "username": "alice"},
    "amount": "100.00", "balance_after": "100.00", "created_at": "2026-03-01T11:00:00Z",
    "description": "",
}

_ISO = ("ISO 8601 date-time, e.g. `2026-03-01T12:00:00+02:00` or `2026-03-01T10:00:00Z` "
        "(percent-encode `+` as `%2B`); without an offset it is UTC.")

# Spelled as amounts are (no sign, spaces, exponent or leading zeros, 16 + 2 digits), zero allowed.
_AMOUNT_BOUND = {"type": "string", "pattern": f"^{AMOUNT_BOUND_PATTERN}$"}
_AMOUNT_RULE = "no sign, spaces, exponent or leading zeros; at most 16 digits before the point and 2 after."

HISTORY_PARAMETERS = [
    OpenApiParameter("counterparty", {"type": "integer", "format": "int64", "minimum": 1,
                                      "maximum": BIGINT_MAX},
                     description="The other party's user id (deposits have none)."),
    OpenApiParameter("min_amount", {**_AMOUNT_BOUND, "example": "10.00"},
                     description=f"Amount at least this, e.g. `10.00`: {_AMOUNT_RULE}"),
    OpenApiParameter("max_amount", {**_AMOUNT_BOUND, "example": "250.50"},
                     description=f"Amount at most this, e.g. `250.50`: {_AMOUNT_RULE}"),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME, description=f"Inclusive. {_ISO}"),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME, description=f"Exclusive. {_ISO}"),
]

INVALID_FILTER = error_response(
    "A query parameter is invalid or unknown (filters, `page_size`, `cursor`); "
    "`details` names it.", HistoryCursorPagination().page_size_refusal(),
)
# The path id of a transaction: the route matches 1 to 18 digits (anything else is a 404).
TRANSACTION_ID_PARAMETER = OpenApiParameter(
    "id", {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH, description="The transaction id.",
)
HISTORY_PAGE = "A page of the caller's transactions, newest first."

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
        responses={200: OpenApiResponse(HistoryItemSerializer, description=HISTORY_PAGE),
                   400: INVALID_FILTER, 401: ERROR_RESPONSES[401]},
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
        parameters=[TRANSACTION_ID_PARAMETER],
        responses={
            200: OpenApiResponse(HistoryItemSerializer, description="The transaction as the caller sees it."),
            401: ERROR_RESPONSES[401],
            404: error_response("No such transaction, or the caller is neither its sender "
                                "nor its receiver.", drf_exceptions.NotFound),
        },
        examples=[OpenApiExample("Transaction", response_only=True, status_codes=["200"],
                                 value=HISTORY_ITEM_EXAMPLE)],
    ),
)

_RANGE_END = ("ISO 8601 date (`2026-04-01`, midnight UTC) or date-time with an offset, e.g. "
              "`2026-04-01T00:00:00%2B02:00` or `…Z`; without an offset it is UTC.")
STATEMENT_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATETIME, required=True,
                     description=f"Start of the range, inclusive. {_RANGE_END}"),
    OpenApiParameter("to", OpenApiTypes.DATETIME, required=True,
                     description=f"End of the range, exclusive; later than `from` and at most "
                                 f"{STATEMENT_MAX_DAYS} days after it. {_RANGE_END}"),
]
STATEMENT_EXAMPLE = {
    "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z", "currency": "USD",
    "opening_balance": "100.00", "closing_balance": "62.50", "total_in": "2.50", "total_out": "40.00",
    "count": 3,
}
STATEMENT_REFUSAL = error_response(
    "`from` or `to` is missing, invalid, empty or repeated, `to` is not later than `from` or more than "
    f"{STATEMENT_MAX_DAYS} days after it, or another parameter is given; `details` names it.",
    InvalidFilter.on_param("to", RANGE_TOO_LONG_CODE, RANGE_TOO_LONG),
)

statement_schema = extend_schema(
    operation_id="transactions_statement",
    tags=["transactions"],
    summary="The caller's statement for a range of time",
    description=(
        "Opening balance (just before `from`; 0 before the first transaction), closing balance "
        "(just before `to`), money received and sent, and the number of transactions in "
        "[`from`, `to`). The totals are those of the history filtered with `created_after=from` and "
        "`created_before=to`, and `closing_balance = opening_balance + total_in - total_out`. "
        "Any invalid, empty, repeated or unknown query parameter is a 400 `invalid_filter`."
    ),
    parameters=STATEMENT_PARAMETERS,
    responses={200: OpenApiResponse(StatementSerializer, description="The statement."),
               400: STATEMENT_REFUSAL, 401: ERROR_RESPONSES[401]},
    examples=[OpenApiExample("March", response_only=True, status_codes=["200"], value=STATEMENT_EXAMPLE)],
)

_RECEIPT_FILE = ApiResponse(
    OpenApiTypes.BINARY,
    description="The receipt file, as an attachment: `application/pdf` (`format=pdf`, the default) or "
                "UTF-8 `text/plain` (`format=txt`), or the same bytes as `application/octet-stream` "
                "when the request's Accept prefers that type to the file's own (`*/*` or no Accept "
                "keeps the file's type). Bytes, to be kept as they come.",
    headers={"Content-Disposition": {
        "schema": {"type": "string"}, "required": True,
        "description": 'The file name: `attachment; filename="R-YYYYMMDD-<10-digit id>.pdf"` (or `.txt`).',
    }},
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
    parameters=[ReceiptQuerySerializer, TRANSACTION_ID_PARAMETER],
    responses={
        # All are files: bytes, to be saved as they come (never decoded and re-encoded). The PDF
        # is listed first: generators that keep one representation keep it. Then the same bytes
        # as application/octet-stream, which the server answers when Accept prefers it: a
        # generator that reads only that binary type as bytes (and text/* as text) takes it
        # before text/plain, and so keeps both files byte for byte.
        (200, "application/pdf"): _RECEIPT_FILE,
        (200, "application/octet-stream"): _RECEIPT_FILE,
        (200, "text/plain"): _RECEIPT_FILE,
        400: error_response("Invalid query parameter.",
                            INVALID_INPUT.on("format", '"docx" is not a valid choice.', "invalid_choice"),
                            unknown_field("download")),
        401: ERROR_RESPONSES[401],
        404: error_response("No such transaction of the caller.", drf_exceptions.NotFound),
        409: error_response("The receipt is not produced yet, or is being produced again; "
                            "retry shortly.", ReceiptPending),
    },
)

EXPORT_PARAMETERS = [
    OpenApiParameter("direction", {"type": "string", "enum": ["sent", "received"]},
                     description="`sent` or `received`, from the caller's side."),
    OpenApiParameter("kind", {"type": "string", "enum": ["transfer", "deposit"]}),
    *HISTORY_PARAMETERS,
    OpenApiParameter("from", OpenApiTypes.DATETIME,
                     description=f"Inclusive, like `created_after`. {_RANGE_END}"),
    OpenApiParameter("to", OpenApiTypes.DATETIME,
                     description=f"Exclusive, like `created_before`. {_RANGE_END}"),
]
# Times as the export writes them: UTC with the stored microseconds (none when they are zero).
EXPORT_CSV_EXAMPLE = (
    "id,time,kind,direction,counterparty_id,counterparty_username,amount,balance_after,description\r\n"
    '42,2026-03-01T12:00:00.312450Z,transfer,sent,2,bob,10.00,90.00,"Dinner, Friday"\r\n'
    "41,2026-03-01T11:00:00.048113Z,deposit,received,,,100.00,100.00,Top-up by card\r\n"
)


def _refusals(description: str, **errors) -> ApiResponse:
    """A 400 whose examples share one code: each named, so each shows one refusal."""
    return ApiResponse(ErrorSerializer, description=description, examples=[
        OpenApiExample(name, value={"code": error_code(error), "message": error_message(error),
                                    "details": error_details(error)})
        for name, error in errors.items()
    ])


EXPORT_REFUSAL = _refusals(
    "A query parameter is invalid, empty, repeated or unknown (`format`, `cursor` and `page_size` "
    "included); `details` names each.",
    UnknownParameter=InvalidFilter.on_param("page_size", "unknown_parameter", "Unknown query parameter."),
    InvalidDate=InvalidFilter.on_param("from", "invalid", str(UTCDateTimeField().error_messages["invalid"])),
)

export_schema = extend_schema(
    operation_id="transactions_export",
    tags=["transactions"],
    summary="The caller's history as a CSV file",
    description=(
        "Every entry of the caller's history that the filters select (the history's filters, and "
        "`from` / `to` as in the statement, here optional and of any length), newest first, as "
        "CSV (RFC 4180, UTF-8, CRLF line ends) streamed in batches: `id, time` (UTC, ISO 8601), "
        "`kind, direction, counterparty_id, counterparty_username` (empty for a deposit), "
        "`amount, balance_after` (the caller's running balance) and `description`. A username or "
        "description that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written "
        "with a leading `'`, so that spreadsheets show it as text instead of running it. Any "
        "invalid, empty, repeated or unknown query parameter (`format`, `cursor` and `page_size` "
        "included) is a 400 `invalid_filter`. A database failure before the first row is the usual 503 "
        "`database_unavailable`; one after the file has begun (its 200 sent) aborts the connection "
        "before the body's end (no final chunk), so the download fails rather than leaving a shorter "
        "file that looks complete."
    ),
    parameters=EXPORT_PARAMETERS,
    responses={
        (200, "text/csv"): ApiResponse(
            OpenApiTypes.STR, description="The CSV file, as an attachment.",
            examples=[OpenApiExample("Two entries", value=EXPORT_CSV_EXAMPLE)],
            headers={"Content-Disposition": {
                "schema": {"type": "string"}, "required": True,
                "description": 'Always `attachment; filename="transactions.csv"`.',
            }},
        ),
        400: EXPORT_REFUSAL,
        401: ERROR_RESPONSES[401],
    },
)
