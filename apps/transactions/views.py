from rest_framework import mixins, viewsets

from apps.core.filters import StrictFilterBackend
from apps.core.pagination import HistoryCursorPagination
from apps.transactions.filters import HistoryFilter
from apps.transactions.models import LedgerEntry
from apps.transactions.schema import history_schema
from apps.transactions.selectors import transaction_history
from apps.transactions.serializers import HistoryItemSerializer


@history_schema
class TransactionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's transactions, sent and received, newest first."""

    serializer_class = HistoryItemSerializer
    pagination_class = HistoryCursorPagination
    filter_backends = [StrictFilterBackend]
    filterset_class = HistoryFilter
    lookup_field = "transaction_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]{1,18}"  # within BIGINT: a longer id is a 404, not a 500

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LedgerEntry.objects.none()
        return transaction_history(user_id=self.request.user.id)
