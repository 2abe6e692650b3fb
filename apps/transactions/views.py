from django.http import FileResponse, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from apps.core.filters import StrictFilterBackend
from apps.receipts.services import receipt_download
from apps.transactions.exports import csv_lines
from apps.transactions.filters import HistoryFilter, StatementFilter
from apps.transactions.models import LedgerEntry
from apps.transactions.pagination import HistoryCursorPagination
from apps.transactions.schema import export_schema, history_schema, receipt_schema, statement_schema
from apps.transactions.selectors import (
    transaction_entries,
    transaction_export,
    transaction_history,
    transaction_statement,
)
from apps.transactions.serializers import HistoryItemSerializer, ReceiptQuerySerializer, StatementSerializer

# The receipt's bytes under their generic type, for clients that read only that type as bytes.
OCTET_STREAM = "application/octet-stream"


class FirstRendererNegotiation(BaseContentNegotiation):
    """Errors are always JSON (never a 406); a file's type is its view's (the receipt: ``file_type``)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def file_type(request, content_type: str) -> str:
    """``content_type``, or ``application/octet-stream`` (the same bytes) when Accept prefers it.

    ``*/*``, no Accept, or an Accept that names neither keeps the file's own type.
    """
    own = content_type.split(";")[0].strip()
    return OCTET_STREAM if request.get_preferred_type([own, OCTET_STREAM]) == OCTET_STREAM else content_type


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

    def filter_queryset(self, queryset):
        # The filters (and their refusal of unknown parameters) are the list's: one transaction
        # is found by its id alone, and its documented answers have no 400.
        if self.action != "list":  # statement and export validate their own filters
            return queryset
        return super().filter_queryset(queryset)

    @statement_schema
    @action(detail=False, methods=["get"], url_path="statement", pagination_class=None,
            filterset_class=StatementFilter)
    def statement(self, request):
        query = StrictFilterBackend().validated_filterset(request, LedgerEntry.objects.none(), self)
        statement = transaction_statement(user_id=request.user.id, start=query.form.cleaned_data["from"],
                                          end=query.form.cleaned_data["to"])
        return Response(StatementSerializer(statement).data)

    @export_schema
    def export(self, request):
        """Routed by ``urls.py`` at ``transactions/export.csv`` (no trailing slash, no format suffix)."""
        query = StrictFilterBackend().validated_filterset(
            request, transaction_entries(user_id=request.user.id), self)
        rows = transaction_export(entries=query.qs)  # the first batch is read here: a failure is a 503
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="transactions.csv"'
        return response

    @receipt_schema
    @action(detail=True, methods=["get"], url_path="receipt", pagination_class=None, filter_backends=[],
            content_negotiation_class=FirstRendererNegotiation)
    def receipt(self, request, id=None):
        query = ReceiptQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = receipt_download(user_id=request.user.id, transaction_id=int(id),
                                 fmt=query.validated_data["format"])
        response = FileResponse(found.file, as_attachment=True, filename=found.filename,
                                content_type=file_type(request, found.content_type))
        patch_vary_headers(response, ["Accept"])
        return response
