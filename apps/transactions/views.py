from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from apps.core.filters import StrictFilterBackend
from apps.core.pagination import HistoryCursorPagination
from apps.core.schema import ERROR_RESPONSES, error_response
from apps.transactions.filters import HistoryFilter
from apps.transactions.models import LedgerEntry
from apps.transactions.selectors import transaction_history
from apps.transactions.serializers import HistoryItemSerializer


@extend_schema_view(
    list=extend_schema(responses={
        200: HistoryItemSerializer(many=True),
        400: error_response("A query parameter is not valid.", "invalid_filter", "invalid_cursor"),
        401: ERROR_RESPONSES[401],
    }),
    retrieve=extend_schema(responses={
        200: HistoryItemSerializer,
        401: ERROR_RESPONSES[401],
        404: error_response("No such transaction among the caller's.", "not_found"),
    }),
)
class TransactionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's transactions, sent and received, newest first."""

    serializer_class = HistoryItemSerializer
    pagination_class = HistoryCursorPagination
    filter_backends = [StrictFilterBackend]
    filterset_class = HistoryFilter
    lookup_field = "transaction_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return transaction_history(user_id=self.request.user.id)
