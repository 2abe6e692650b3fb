from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.idempotency import Replay, idempotent_input, replayable_response
from apps.wallets.filters import wallet_moment
from apps.wallets.permissions import IsStaff
from apps.wallets.schema import wallet_schema
from apps.wallets.selectors import system_accounts, wallet_as_of, wallet_get
from apps.wallets.serializers import (
    DepositInputSerializer,
    MovementOutputSerializer,
    SystemAccountOutputSerializer,
    TransferInputSerializer,
    WalletOutputSerializer,
)
from apps.wallets.services import MovementResult, deposit_create, transfer_create
from apps.wallets.throttling import MoneyRateThrottle


def movement_response(result: MovementResult | Replay) -> Response:
    """201 with the movement, or the stored response of an Idempotency-Key's first request."""
    return replayable_response(result, lambda r: MovementOutputSerializer(r).data,
                               status=status.HTTP_201_CREATED)


@wallet_schema
class WalletViewSet(viewsets.GenericViewSet):
    """The caller's wallet and the operations that move money."""

    pagination_class = None
    filter_backends = []

    @action(detail=False, methods=["get"], url_path="me")
    def me(self, request):
        moment = wallet_moment(request.query_params)
        if moment is None:
            wallet = wallet_get(user_id=request.user.id)
        else:
            wallet = wallet_as_of(user_id=request.user.id, moment=moment)
        return Response(WalletOutputSerializer(wallet).data)

    @action(detail=False, methods=["get"], url_path="system-accounts", permission_classes=[IsStaff])
    def system_accounts(self, request):
        return Response(SystemAccountOutputSerializer(system_accounts(), many=True).data)

    @action(detail=False, methods=["post"], url_path="transfer",
            serializer_class=TransferInputSerializer, throttle_classes=[MoneyRateThrottle])
    def transfer(self, request):
        data, idempotency = idempotent_input(request, TransferInputSerializer)
        result = transfer_create(sender_id=request.user.id, **data, idempotency=idempotency)
        return movement_response(result)

    @action(detail=False, methods=["post"], url_path="deposit",
            serializer_class=DepositInputSerializer, permission_classes=[IsStaff],
            throttle_classes=[MoneyRateThrottle])
    def deposit(self, request):
        data, idempotency = idempotent_input(request, DepositInputSerializer)
        result = deposit_create(**data, idempotency=idempotency)
        return movement_response(result)
