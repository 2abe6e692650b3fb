from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.idempotency import REPLAYED_HEADER, Replay, idempotency_key_from, idempotent_request
from apps.core.schema import ERROR_RESPONSES, IDEMPOTENCY_KEY_PARAMETER, error_response
from apps.core.throttling import MoneyRateThrottle
from apps.wallets.permissions import IsStaff
from apps.wallets.selectors import wallet_get
from apps.wallets.serializers import (
    DepositInputSerializer,
    MovementOutputSerializer,
    TransferInputSerializer,
    WalletOutputSerializer,
)
from apps.wallets.services import MovementResult, deposit_create, transfer_create

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
WALLET_NOT_FOUND = error_response("The caller's account is disabled or has no wallet.", "not_found")

# Refusals of the request itself, before any service runs.
REQUEST_ERROR_CODES = ("unknown_field", "parse_error", "unsupported_media_type", "request_too_large",
                       "length_required", "invalid_idempotency_key")
IDEMPOTENCY_RESPONSES = {
    422: error_response("The Idempotency-Key was already used with a different request.",
                        "idempotency_key_reused"),
    429: ERROR_RESPONSES[429],
    503: ERROR_RESPONSES[503],
}


def movement_response(result: MovementResult | Replay) -> Response:
    """201 with the movement, or the stored response of an Idempotency-Key's first request."""
    if isinstance(result, Replay):
        return Response(result.body, status=result.status, headers={REPLAYED_HEADER: "true"})
    return Response(MovementOutputSerializer(result).data, status=status.HTTP_201_CREATED)


class WalletViewSet(viewsets.GenericViewSet):
    """The caller's wallet and the operations that move money."""

    pagination_class = None
    filter_backends = []

    @extend_schema(
        operation_id="wallet_me",
        tags=["wallet"],
        summary="The caller's wallet",
        responses={200: WalletOutputSerializer, 401: ERROR_RESPONSES[401], 404: WALLET_NOT_FOUND},
        examples=[WALLET_EXAMPLE],
    )
    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request):
        wallet = wallet_get(user_id=request.user.id)
        return Response(WalletOutputSerializer(wallet).data)

    @extend_schema(
        operation_id="wallet_transfer",
        tags=["wallet"],
        summary="Send money to another user",
        description="Moves `amount` from the caller's wallet to the wallet of user "
                    "`receiver_id`, atomically. Error codes: `invalid_amount`, "
                    "`receiver_not_found`, `self_transfer`, `insufficient_funds`, "
                    "`balance_limit_exceeded`, `invalid_input`, `unknown_field`.",
        request=TransferInputSerializer,
        responses={
            201: MovementOutputSerializer,
            400: error_response(
                "The transfer was refused; nothing changed.",
                "invalid_amount", "receiver_not_found", "self_transfer",
                "insufficient_funds", "balance_limit_exceeded", "invalid_input",
                *REQUEST_ERROR_CODES,
            ),
            401: ERROR_RESPONSES[401],
            403: error_response("The caller's account is disabled.", "account_inactive"),
            **IDEMPOTENCY_RESPONSES,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        examples=[
            OpenApiExample("Transfer", request_only=True,
                           value={"receiver_id": 2, "amount": "10.00"}),
            MOVEMENT_EXAMPLE,
        ],
    )
    @action(detail=False, methods=["post"], url_path="transfer",
            serializer_class=TransferInputSerializer, throttle_classes=[MoneyRateThrottle])
    def transfer(self, request):
        key = idempotency_key_from(request)  # a malformed header is refused before anything else
        data = TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = transfer_create(sender_id=request.user.id, **data.validated_data,
                                 idempotency=idempotent_request(request, key, data.validated_data))
        return movement_response(result)

    @extend_schema(
        operation_id="wallet_deposit",
        tags=["wallet"],
        summary="Credit a user's wallet (staff only)",
        request=DepositInputSerializer,
        responses={
            201: MovementOutputSerializer,
            400: error_response("The deposit was refused; nothing changed.",
                                "invalid_amount", "receiver_not_found",
                                "balance_limit_exceeded", "invalid_input", *REQUEST_ERROR_CODES),
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
    )
    @action(detail=False, methods=["post"], url_path="deposit",
            serializer_class=DepositInputSerializer, permission_classes=[IsStaff],
            throttle_classes=[MoneyRateThrottle])
    def deposit(self, request):
        key = idempotency_key_from(request)
        data = DepositInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = deposit_create(**data.validated_data,
                                idempotency=idempotent_request(request, key, data.validated_data))
        return movement_response(result)
