"""OpenAPI documentation of the wallet endpoints (kept apart from the view code)."""
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions as drf_exceptions

from apps.core.exceptions import (
    IdempotencyKeyReused,
    InvalidAmount,
    InvalidFilter,
    InvalidIdempotencyKey,
    LengthRequired,
    RequestTooLarge,
    UnsupportedMediaType,
)
from apps.core.money import AMOUNT_NOT_A_STRING
from apps.core.schema import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY_PARAMETER,
    JSON_PARSE_ERROR,
    REPLAYED_RESPONSE_HEADER,
    ApiResponse,
    ErrorCode,
    error_codes_text,
    error_response,
    required_field,
    unknown_field,
)
from apps.wallets.exceptions import (
    AccountInactive,
    AlreadyFullyReturned,
    AmountExceedsHold,
    AmountExceedsRemaining,
    BalanceLimitExceeded,
    HoldExpired,
    HoldNotActive,
    HoldPartyInactive,
    InsufficientFunds,
    NotRefundable,
    NotThePayee,
    NotTheReceiver,
    PayeeNotFound,
    ReceiverNotFound,
    ReturnInsufficientFunds,
    SelfHold,
    SelfTransfer,
    TransactionNotFound,
)
from apps.wallets.permissions import IsStaff
from apps.wallets.serializers import (
    DepositInputSerializer,
    HoldCaptureInputSerializer,
    HoldCreateInputSerializer,
    HoldListQuerySerializer,
    HoldOutputSerializer,
    MovementOutputSerializer,
    RefundInputSerializer,
    ReversalInputSerializer,
    SystemAccountOutputSerializer,
    TransferInputSerializer,
    WalletOutputSerializer,
)

MOVEMENT_EXAMPLE = OpenApiExample(
    "Created", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 42, "kind": "transfer", "sender_id": 1, "receiver_id": 2,
                        "amount": "10.00", "created_at": "2026-01-01T12:00:00Z",
                        "description": "Dinner, Friday", "original_id": None},
        "balance": "90.00",
    },
)
DEPOSIT_EXAMPLE = OpenApiExample(
    "Deposited", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 43, "kind": "deposit", "sender_id": None, "receiver_id": 2,
                        "amount": "100.00", "created_at": "2026-01-01T12:00:00Z",
                        "description": "Top-up by card", "original_id": None},
        "balance": "100.00",
    },
)
WALLET_EXAMPLE = OpenApiExample(
    "Wallet", response_only=True,
    value={"id": 7, "user_id": 1, "balance": "90.00", "held": "30.00", "available": "60.00",
           "currency": "USD", "updated_at": "2026-01-01T12:00:00Z"},
)

# The 400 refusals of a movement's body, by the validation or the service.
AMOUNT_NOT_STRING = ErrorCode(InvalidAmount.code).on("amount", AMOUNT_NOT_A_STRING)
TRANSFER_REFUSALS = (AMOUNT_NOT_STRING, ReceiverNotFound, SelfTransfer, InsufficientFunds,
                     BalanceLimitExceeded, required_field("receiver_id"), unknown_field("sender_id"))
DEPOSIT_REFUSALS = (AMOUNT_NOT_STRING, ReceiverNotFound, BalanceLimitExceeded, required_field("user_id"),
                    unknown_field("receiver_id"))
# The 400 refusals of the request itself, before its body is validated.
REQUEST_REFUSALS = (JSON_PARSE_ERROR, UnsupportedMediaType,
                    RequestTooLarge.for_limit(settings.API_MAX_BODY_BYTES), LengthRequired,
                    InvalidIdempotencyKey)

IDEMPOTENCY_RESPONSES = {
    422: error_response("The Idempotency-Key was already used with a different request.",
                        IdempotencyKeyReused),
    429: ERROR_RESPONSES[429],
}
MOVEMENT_CREATED = ApiResponse(
    MovementOutputSerializer, headers=REPLAYED_RESPONSE_HEADER,
    description="The money moved (or, with a replayed Idempotency-Key, had moved): the transaction "
                "and the balance after it.",
)


wallet_schema = extend_schema_view(
    me=extend_schema(
        operation_id="wallet_me",
        tags=["wallet"],
        summary="The caller's wallet",
        description=(
            "The caller's wallet now, or with `at` as it stood at that instant: the balance right after "
            "the caller's last transaction at or before `at` (0 before the first), in the statement's "
            "order (time, then transaction id), and `updated_at` that transaction's time (the wallet's "
            "creation before the first)."
        ),
        parameters=[OpenApiParameter(
            "at", OpenApiTypes.DATETIME, required=False,
            description="An instant: ISO 8601 date (`2026-04-01`, midnight UTC) or date-time with an "
                        "offset, e.g. `2026-04-01T00:00:00%2B02:00` or `…Z`; without an offset it is UTC.",
        )],
        responses={
            200: OpenApiResponse(WalletOutputSerializer, description="The caller's wallet."),
            400: error_response("`at` is invalid, empty or repeated; `details` names it.",
                                InvalidFilter.on_param("at", "invalid", "Enter a valid date/time.")),
            401: ERROR_RESPONSES[401],
            404: error_response("The caller's account is disabled or has no wallet.",
                                drf_exceptions.NotFound),
        },
        examples=[WALLET_EXAMPLE],
    ),
    system_accounts=extend_schema(
        operation_id="wallet_system_accounts",
        tags=["wallet"],
        summary="The system accounts' balances (staff only)",
        description="The accounts no user owns, by code. `world` is where deposits come from: its "
                    "balance is minus everything ever deposited, so every wallet's balance plus every "
                    "system account's is zero.",
        responses={
            200: OpenApiResponse(SystemAccountOutputSerializer(many=True),
                                 description="Every system account."),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller is not staff.", drf_exceptions.PermissionDenied(IsStaff.message)),
        },
        examples=[OpenApiExample("System accounts", response_only=True, value={
            "code": "world", "balance": "-1250.00", "currency": "USD", "updated_at": "2026-01-01T12:00:00Z",
        })],
    ),
    transfer=extend_schema(
        operation_id="wallet_transfer",
        tags=["wallet"],
        summary="Send money to another user",
        description="Moves `amount` from the caller's wallet to the wallet of user "
                    f"`receiver_id`, atomically. Error codes: {error_codes_text(TRANSFER_REFUSALS)}.",
        request=TransferInputSerializer,
        responses={
            201: MOVEMENT_CREATED,
            400: error_response("The transfer was refused; nothing changed.",
                                *TRANSFER_REFUSALS, *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller's account is disabled.", AccountInactive),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Transfer", request_only=True,
                           value={"receiver_id": 2, "amount": "10.00"}),
            OpenApiExample("Transfer with a description", request_only=True,
                           value={"receiver_id": 2, "amount": "10.00", "description": "Dinner, Friday"}),
            MOVEMENT_EXAMPLE,
        ],
    ),
    deposit=extend_schema(
        operation_id="wallet_deposit",
        tags=["wallet"],
        summary="Credit a user's wallet (staff only)",
        request=DepositInputSerializer,
        responses={
            201: MOVEMENT_CREATED,
            400: error_response("The deposit was refused; nothing changed.",
                                *DEPOSIT_REFUSALS, *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller is not staff.", drf_exceptions.PermissionDenied(IsStaff.message)),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Deposit", request_only=True,
                           value={"user_id": 2, "amount": "100.00", "description": "Top-up by card"}),
            DEPOSIT_EXAMPLE,
        ],
    ),
)


# --- Holds ----------------------------------------------------------------------------

HOLD_EXAMPLE = {
    "id": 12, "payer": {"id": 1, "username": "alice"}, "payee": {"id": 2, "username": "shop"},
    "amount": "60.00", "status": "active", "description": "Room 12, two nights",
    "created_at": "2026-03-01T12:00:00Z", "expires_at": "2026-03-02T12:00:00Z", "resolved_at": None,
    "captured_amount": None, "capture_transaction_id": None,
}
CAPTURED_EXAMPLE = {**HOLD_EXAMPLE, "status": "captured", "resolved_at": "2026-03-01T18:00:00Z",
                    "captured_amount": "45.00", "capture_transaction_id": 57}
VOIDED_EXAMPLE = {**HOLD_EXAMPLE, "status": "voided", "resolved_at": "2026-03-01T18:00:00Z"}
HOLD_ID_PARAMETER = OpenApiParameter("id", {"type": "integer", "format": "int64", "minimum": 1,
                                           "maximum": 10**18 - 1},
                                     OpenApiParameter.PATH, description="The hold's id.")
HOLD_NOT_ACTIVE = HoldNotActive.with_status("captured")
HOLD_LIST_REFUSAL = InvalidFilter.on_param("role", "invalid_choice", '"x" is not a valid choice.')
HOLD_404 = error_response("No such hold, or the caller is neither its payer nor its payee.",
                          drf_exceptions.NotFound)
HOLD_CREATE_REFUSALS = (AMOUNT_NOT_STRING, PayeeNotFound, SelfHold,
                        InsufficientFunds("The available balance is too low for this hold."),
                        required_field("payee_id"), unknown_field("receiver_id"))

holds_schema = extend_schema_view(
    list=extend_schema(
        operation_id="holds_list", tags=["holds"], summary="The caller's holds, as payer or payee",
        description="Newest first, cursor-paginated like the history.",
        parameters=[HoldListQuerySerializer],
        responses={
            200: OpenApiResponse(HoldOutputSerializer, description="A page of holds, newest first."),
            400: error_response("A query parameter is not valid.", HOLD_LIST_REFUSAL),
            401: ERROR_RESPONSES[401],
        },
        examples=[OpenApiExample("Active hold", response_only=True, status_codes=["200"],
                                 value=HOLD_EXAMPLE)],
    ),
    retrieve=extend_schema(
        operation_id="hold_get", tags=["holds"], summary="One hold (its payer or payee only)",
        parameters=[HOLD_ID_PARAMETER],
        responses={200: OpenApiResponse(HoldOutputSerializer, description="The hold as of now."),
                   401: ERROR_RESPONSES[401], 404: HOLD_404},
        examples=[OpenApiExample("Active", response_only=True, status_codes=["200"], value=HOLD_EXAMPLE)],
    ),
    create=extend_schema(
        operation_id="hold_create", tags=["holds"], summary="Reserve money for a payee",
        description="Reserves `amount` of the caller's available money for `payee_id` until "
                    "`expires_in` seconds from now: `available` drops at once, `balance` does not. "
                    f"Error codes: {error_codes_text(HOLD_CREATE_REFUSALS)}.",
        request=HoldCreateInputSerializer,
        responses={
            201: ApiResponse(HoldOutputSerializer, headers=REPLAYED_RESPONSE_HEADER,
                             description="The hold, active."),
            400: error_response("The hold was refused; nothing changed.", *HOLD_CREATE_REFUSALS,
                                *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller's account is disabled.", AccountInactive),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Hold", request_only=True,
                           value={"payee_id": 2, "amount": "60.00", "expires_in": 86400,
                                  "description": "Room 12, two nights"}),
            OpenApiExample("Held", response_only=True, status_codes=["201"], value=HOLD_EXAMPLE),
        ],
    ),
    capture=extend_schema(
        operation_id="hold_capture", tags=["holds"], summary="Take a hold (its payee only)",
        description="Transfers `amount` (at most the hold's; omitted, all of it) from the payer to the "
                    "caller, with its receipt; the rest is available to the payer again at once. "
                    "One capture per hold.",
        request=HoldCaptureInputSerializer,
        responses={
            200: ApiResponse(HoldOutputSerializer, headers=REPLAYED_RESPONSE_HEADER,
                             description="The hold, captured, with the transfer's id."),
            400: error_response("The capture was refused; nothing changed.", AmountExceedsHold,
                                AMOUNT_NOT_STRING, BalanceLimitExceeded, *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller is the hold's payer, not its payee, or an account of the "
                                "hold is disabled.", NotThePayee, HoldPartyInactive),
            404: HOLD_404,
            409: error_response("The hold is not active (its status in `details`) or has expired.",
                                HOLD_NOT_ACTIVE, HoldExpired),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[HOLD_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Part of it", request_only=True, value={"amount": "45.00"}),
            OpenApiExample("All of it", request_only=True, value={}),
            OpenApiExample("Captured", response_only=True, status_codes=["200"], value=CAPTURED_EXAMPLE),
        ],
    ),
    void=extend_schema(
        operation_id="hold_void", tags=["holds"], summary="End a hold without moving money",
        description="By the payer or the payee; the amount is available to the payer again.",
        request={"application/json": {
            "type": "object", "additionalProperties": False,
            "description": "Empty: no field is accepted (the body may be left out)."}},
        responses={
            200: ApiResponse(HoldOutputSerializer, headers=REPLAYED_RESPONSE_HEADER,
                             description="The hold, voided."),
            400: error_response("The request was refused; nothing changed.", unknown_field("amount"),
                                *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("An account of the hold is disabled.", HoldPartyInactive),
            404: HOLD_404,
            409: error_response("The hold is not active (its status in `details`).", HOLD_NOT_ACTIVE),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[HOLD_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        examples=[OpenApiExample("Void", request_only=True, value={}),
                  OpenApiExample("Voided", response_only=True, status_codes=["200"], value=VOIDED_EXAMPLE)],
    ),
)


# --- Refunds and reversals ------------------------------------------------------------

REFUND_EXAMPLE = OpenApiExample(
    "Refunded", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 57, "kind": "refund", "sender_id": 2, "receiver_id": 1,
                        "amount": "4.00", "created_at": "2026-01-02T09:00:00Z",
                        "description": "One ticket was not used", "original_id": 42},
        "balance": "6.00",
    },
)
REVERSAL_EXAMPLE = OpenApiExample(
    "Reversed", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 58, "kind": "reversal", "sender_id": 2, "receiver_id": 1,
                        "amount": "10.00", "created_at": "2026-01-02T09:00:00Z",
                        "description": "Sent to the wrong person (ticket 812)", "original_id": 42},
        "balance": "0.00",
    },
)
RETURN_ID_PARAMETER = OpenApiParameter(
    "id", {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH, description="The id of the transaction to give back from.")
# What a return's 409 answers, whatever the caller: nothing changed.
RETURN_CONFLICTS = (NotRefundable(), AmountExceedsRemaining.with_remaining("5.00"), AlreadyFullyReturned,
                    ReturnInsufficientFunds)
RETURN_REFUSALS = (AMOUNT_NOT_STRING, ReceiverNotFound, BalanceLimitExceeded)
RETURN_RULES = (
    "What refunds and reversals give back of one transaction never exceeds its amount, however many "
    "run at once (`amount_exceeds_remaining` says what remains, `already_fully_returned` when nothing "
    "does). A refund or a reversal cannot itself be given back (`not_refundable`): correct it with a "
    "new transfer. The wallet that gives the money back must hold it, available (holds count): "
    "otherwise `insufficient_funds` (409) and nothing changes. The new transaction names its "
    "original (`original_id`); the original's `returned_amount` and `returned_by` in the history "
    "show what was given back."
)

returns_schema = extend_schema_view(
    refund=extend_schema(
        operation_id="transaction_refund",
        tags=["transactions"],
        summary="Refund a received transfer (its receiver only)",
        description=(
            "Gives back `amount` (omitted: all that remains) of a transfer the caller received to its "
            f"sender, with an optional memo, within {settings.REFUND_WINDOW_DAYS} days of the transfer "
            f"(`REFUND_WINDOW_DAYS`). {RETURN_RULES} Error codes: "
            f"{error_codes_text((*RETURN_REFUSALS, NotTheReceiver, *RETURN_CONFLICTS))}."
        ),
        request=RefundInputSerializer,
        responses={
            201: MOVEMENT_CREATED,
            400: error_response("The refund was refused; nothing changed.", *RETURN_REFUSALS,
                                unknown_field("reason"), *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller's account is disabled.", AccountInactive),
            404: error_response("No such transaction, or the caller took no part in it.",
                                TransactionNotFound),
            409: error_response("The transaction cannot be refunded (by the caller: only its receiver "
                                "can), or not that much; nothing changed.",
                                NotRefundable(), NotTheReceiver, NotRefundable.deposit(),
                                NotRefundable.too_old(settings.REFUND_WINDOW_DAYS),
                                *RETURN_CONFLICTS[1:]),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[RETURN_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Part of it, with a memo", request_only=True,
                           value={"amount": "4.00", "description": "One ticket was not used"}),
            OpenApiExample("All that remains", request_only=True, value={}),
            REFUND_EXAMPLE,
        ],
    ),
    reverse=extend_schema(
        operation_id="transaction_reverse",
        tags=["transactions"],
        summary="Reverse a transfer or a deposit (staff only)",
        description=(
            "Moves `amount` (omitted: all that remains) back the way it came: a transfer's from its "
            "receiver to its sender, a deposit's from the wallet back to `world`, where deposits come "
            "from (the reversal then has no receiver). `reason` is required and becomes the reversal's "
            f"memo. No age limit. {RETURN_RULES} Error codes: "
            f"{error_codes_text((*RETURN_REFUSALS, *RETURN_CONFLICTS))}."
        ),
        request=ReversalInputSerializer,
        responses={
            201: MOVEMENT_CREATED,
            400: error_response("The reversal was refused; nothing changed.", *RETURN_REFUSALS,
                                required_field("reason"), *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller is not staff, or the wallet that gives the money back "
                                "belongs to a disabled account.",
                                drf_exceptions.PermissionDenied(IsStaff.message), AccountInactive),
            404: error_response("No such transaction.", TransactionNotFound),
            409: error_response("The transaction cannot be reversed, or not that much; nothing changed.",
                                *RETURN_CONFLICTS),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[RETURN_ID_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("All of it", request_only=True,
                           value={"reason": "Sent to the wrong person (ticket 812)"}),
            OpenApiExample("Part of it", request_only=True,
                           value={"amount": "4.00", "reason": "Charged twice for one ticket"}),
            REVERSAL_EXAMPLE,
        ],
    ),
)
