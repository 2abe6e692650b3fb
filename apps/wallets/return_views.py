"""Refunds and reversals: a transaction given back by a new, linked movement."""
from rest_framework import viewsets
from rest_framework.decorators import action

from apps.core.idempotency import idempotent_input
from apps.wallets.permissions import IsStaff
from apps.wallets.schema import returns_schema
from apps.wallets.serializers import RefundInputSerializer, ReversalInputSerializer
from apps.wallets.services import refund_create, reversal_create
from apps.wallets.throttling import MoneyRateThrottle
from apps.wallets.views import movement_response


@returns_schema
class TransactionReturnViewSet(viewsets.GenericViewSet):
    """``/api/transactions/{id}/refund/`` and ``/reverse/``, beside the history's routes."""

    pagination_class = None
    filter_backends = []
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]{1,18}"  # within BIGINT: a longer id is a 404, not a 500

    @action(detail=True, methods=["post"], url_path="refund", serializer_class=RefundInputSerializer,
            throttle_classes=[MoneyRateThrottle])
    def refund(self, request, id=None):
        data, idempotency = idempotent_input(request, RefundInputSerializer)
        result = refund_create(transaction_id=int(id), user_id=request.user.id, **data,
                               idempotency=idempotency)
        return movement_response(result)

    @action(detail=True, methods=["post"], url_path="reverse", serializer_class=ReversalInputSerializer,
            permission_classes=[IsStaff], throttle_classes=[MoneyRateThrottle])
    def reverse(self, request, id=None):
        data, idempotency = idempotent_input(request, ReversalInputSerializer)
        result = reversal_create(transaction_id=int(id), staff_id=request.user.id, **data,
                                 idempotency=idempotency)
        return movement_response(result)
