from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.transactions.filters import ExportFilter
from apps.transactions.views import FirstRendererNegotiation, TransactionViewSet

router = SimpleRouter()
router.register("transactions", TransactionViewSet, basename="transaction")

# The export is a file name, not a route of the router (which would add a trailing slash): its
# ".csv" is part of the path, never a format suffix, and a `format` query parameter is refused
# like any other unknown one.
export_view = TransactionViewSet.as_view(
    {"get": "export"}, pagination_class=None, filterset_class=ExportFilter,
    content_negotiation_class=FirstRendererNegotiation,
)
urlpatterns = [path("transactions/export.csv", export_view, name="transaction-export"), *router.urls]
