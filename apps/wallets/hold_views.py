"""The holds API: create, list, read, capture and void. Each action: validate, one service, render."""
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.exceptions import InvalidFilter
from apps.core.idempotency import Replay, idempotent_input, replayable_response
from apps.transactions.pagination import HistoryCursorPagination
from apps.wallets.holds import hold_capture, hold_create, hold_void
from apps.wallets.models import Hold
from apps.wallets.schema import holds_schema
from apps.wallets.selectors import hold_get, holds_of
from apps.wallets.serializers import (
    HoldCaptureInputSerializer,
    HoldCreateInputSerializer,
    HoldListQuerySerializer,
    HoldOutputSerializer,
    HoldVoidInputSerializer,
)
from apps.wallets.throttling import MoneyRateThrottle

LIST_PARAMETERS = {"role", "status", "cursor", "page_size"}


class HoldCursorPagination(HistoryCursorPagination):
    ordering = "-id"


def hold_response(result: Hold | Replay, *, created: bool = False) -> Response:
    return replayable_response(result, lambda hold: HoldOutputSerializer(hold).data,
                               status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@holds_schema
class HoldViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's holds, as payer or payee, newest first."""

    serializer_class = HoldOutputSerializer
    pagination_class = HoldCursorPagination
    filter_backends = []
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Hold.objects.none()
        query = HoldListQuerySerializer(data=self.request.query_params)
        if unknown := sorted(set(self.request.query_params) - LIST_PARAMETERS):
            raise InvalidFilter.on_param(unknown[0], "unknown_parameter", "Unknown query parameter.")
        if not query.is_valid():
            field, [error] = next(iter(query.errors.items()))
            raise InvalidFilter.on_param(field, error.code, str(error))
        return holds_of(user_id=self.request.user.id, **query.validated_data)

    def retrieve(self, request, id=None):
        return Response(HoldOutputSerializer(hold_get(hold_id=int(id), user_id=request.user.id)).data)

    def create(self, request):
        data, idempotency = idempotent_input(request, HoldCreateInputSerializer)
        result = hold_create(payer_id=request.user.id, **data, idempotency=idempotency)
        return hold_response(result, created=True)

    @action(detail=True, methods=["post"], url_path="capture", serializer_class=HoldCaptureInputSerializer,
            pagination_class=None, throttle_classes=[MoneyRateThrottle])
    def capture(self, request, id=None):
        data, idempotency = idempotent_input(request, HoldCaptureInputSerializer)
        result = hold_capture(hold_id=int(id), payee_id=request.user.id, **data, idempotency=idempotency)
        return hold_response(result)

    @action(detail=True, methods=["post"], url_path="void", serializer_class=HoldVoidInputSerializer,
            pagination_class=None,
            throttle_classes=[MoneyRateThrottle])
    def void(self, request, id=None):
        _, idempotency = idempotent_input(request, HoldVoidInputSerializer)  # no fields: the key alone
        result = hold_void(hold_id=int(id), user_id=request.user.id, idempotency=idempotency)
        return hold_response(result)

    def get_throttles(self):
        if self.action == "create":
            return [MoneyRateThrottle()]
        return super().get_throttles()
