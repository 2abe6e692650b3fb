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
    BalanceLimitExceeded,
    InsufficientFunds,
    ReceiverNotFound,
    SelfTransfer,
)
from apps.wallets.permissions import IsStaff
from apps.wallets.serializers import (
    DepositInputSerializer,
    MovementOutputSerializer,
    SystemAccountOutputSerializer,
    TransferInputSerializer,
    WalletOutputSerializer,
)

MOVEMENT_EXAMPLE = OpenApiExample(
    "Created", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 42, "kind": "transfer", "sender_id": 1, "receiver_id": 2,
                        "amount": "10.00", "created_at": "2026-01-01T12:00:00Z",
                        "description": "Dinner, Friday"},
        "balance": "90.00",
    },
)
DEPOSIT_EXAMPLE = OpenApiExample(
    "Deposited", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 43, "kind": "deposit", "sender_id": None, "receiver_id": 2,
                        "amount": "100.00", "created_at": "2026-01-01T12:00:00Z",
                        "description": "Top-up by card"},
        "balance": "100.00",
    },
)
WALLET_EXAMPLE = OpenApiExample(
    "Wallet", response_only=True,
    value={"id": 7, "user_id": 1, "balance": "90.00", "updated_at": "2026-01-01T12:00:00Z"},
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
