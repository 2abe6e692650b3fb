"""OpenAPI documentation of the wallet endpoints (kept apart from the view code)."""
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions as drf_exceptions

from apps.core.exceptions import (
    IdempotencyKeyReused,
    InvalidAmount,
    InvalidIdempotencyKey,
    LengthRequired,
    RequestTooLarge,
    UnsupportedMediaType,
)
from apps.core.schema import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY_PARAMETER,
    INVALID_INPUT,
    UNKNOWN_FIELD,
    error_codes_text,
    error_response,
)
from apps.wallets.exceptions import (
    AccountInactive,
    BalanceLimitExceeded,
    InsufficientFunds,
    ReceiverNotFound,
    SelfTransfer,
)
from apps.wallets.serializers import (
    DepositInputSerializer,
    MovementOutputSerializer,
    TransferInputSerializer,
    WalletOutputSerializer,
)

MOVEMENT_EXAMPLE = OpenApiExample(
    "Created", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 42, "kind": "transfer", "sender_id": 1, "receiver_id": 2,
                        "amount": "10.00", "created_at": "2026-01-01T12:00:00Z"},
        "balance": "90.00",
    },
)
DEPOSIT_EXAMPLE = OpenApiExample(
    "Deposited", response_only=True, status_codes=["201"],
    value={
        "transaction": {"id": 43, "kind": "deposit", "sender_id": None, "receiver_id": 2,
                        "amount": "100.00", "created_at": "2026-01-01T12:00:00Z"},
        "balance": "100.00",
    },
)
WALLET_EXAMPLE = OpenApiExample(
    "Wallet", response_only=True,
    value={"id": 7, "user_id": 1, "balance": "90.00", "updated_at": "2026-01-01T12:00:00Z"},
)

# The 400 refusals of a movement's body, by the validation or the service.
TRANSFER_REFUSALS = (InvalidAmount, ReceiverNotFound, SelfTransfer, InsufficientFunds,
                     BalanceLimitExceeded, INVALID_INPUT, UNKNOWN_FIELD)
DEPOSIT_REFUSALS = (InvalidAmount, ReceiverNotFound, BalanceLimitExceeded, INVALID_INPUT, UNKNOWN_FIELD)
# The 400 refusals of the request itself, before its body is validated.
REQUEST_REFUSALS = (drf_exceptions.ParseError, UnsupportedMediaType, RequestTooLarge, LengthRequired,
                    InvalidIdempotencyKey)

IDEMPOTENCY_RESPONSES = {
    422: error_response("The Idempotency-Key was already used with a different request.",
                        IdempotencyKeyReused),
    429: ERROR_RESPONSES[429],
    503: ERROR_RESPONSES[503],
}

wallet_schema = extend_schema_view(
    me=extend_schema(
        operation_id="wallet_me",
        tags=["wallet"],
        summary="The caller's wallet",
        responses={
            200: WalletOutputSerializer,
            401: ERROR_RESPONSES[401],
            404: error_response("The caller's account is disabled or has no wallet.",
                                drf_exceptions.NotFound),
        },
        examples=[WALLET_EXAMPLE],
    ),
    transfer=extend_schema(
        operation_id="wallet_transfer",
        tags=["wallet"],
        summary="Send money to another user",
        description="Moves `amount` from the caller's wallet to the wallet of user "
                    f"`receiver_id`, atomically. Error codes: {error_codes_text(TRANSFER_REFUSALS)}.",
        request=TransferInputSerializer,
        responses={
            201: MovementOutputSerializer,
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
            MOVEMENT_EXAMPLE,
        ],
    ),
    deposit=extend_schema(
        operation_id="wallet_deposit",
        tags=["wallet"],
        summary="Credit a user's wallet (staff only)",
        request=DepositInputSerializer,
        responses={
            201: MovementOutputSerializer,
            400: error_response("The deposit was refused; nothing changed.",
                                *DEPOSIT_REFUSALS, *REQUEST_REFUSALS),
            401: ERROR_RESPONSES[401],
            403: ERROR_RESPONSES[403],
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Deposit", request_only=True,
                           value={"user_id": 2, "amount": "100.00"}),
            DEPOSIT_EXAMPLE,
        ],
    ),
)
