from rest_framework import mixins, viewsets

from apps.core.filters import StrictFilterBackend
from apps.core.pagination import HistoryCursorPagination
from apps.transactions.filters import HistoryFilter
from apps.transactions.models import LedgerEntry
from apps.transactions.selectors import transaction_history
from apps.transactions.serializers import HistoryItemSerializer


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
