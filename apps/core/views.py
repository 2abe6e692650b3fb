import hmac

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exception_handler import is_api_request, json_error
from apps.core.health import liveness_report, readiness_report
from apps.core.metrics import CONTENT_TYPE_LATEST, metrics_text
from apps.core.schema import liveness_schema, readiness_schema


class PublicProbe(APIView):
    """A probe for load balancers and orchestrators: no authentication, no rate limit."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


@liveness_schema
class LivenessView(PublicProbe):
    """Public: 200 while the process serves HTTP; no database or broker round trip."""

    uses_database = False  # the schema documents no 503 database_unavailable

    def get(self, request):
        return Response(liveness_report())


@readiness_schema
class ReadinessView(PublicProbe):
    """Public: 200 when the database (through the pooler) and the broker answer, else 503."""

    def get(self, request):
        report = readiness_report()
        code = status.HTTP_200_OK if report["status"] == "ok" else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status=code)


# --- The schema and the docs pages ---

class FormatQueryNegotiation(DefaultContentNegotiation):
    """``?format=json`` or ``?format=yaml`` chooses the renderer, as drf-spectacular documents.

    Only the schema view negotiates this way: everywhere else ``format`` is an
    ordinary query parameter (the receipt's ``pdf``/``txt``) or an unknown one
    (``URL_FORMAT_OVERRIDE`` is off).
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return super().select_renderer(request, renderers,
                                       format_suffix or request.query_params.get("format"))


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: YAML by default, JSON with ``?format=json`` or ``Accept: application/json``."""

    content_negotiation_class = FormatQueryNegotiation



class HtmlPageOptionsMixin:
    """OPTIONS on an HTML page lists the allowed methods, as Django's own views do.

    DRF would answer with its metadata rendered by the page's HTML renderer,
    which has no template for it (a 500 on the Swagger page).
    """

    def options(self, request, *args, **kwargs):
        return HttpResponse(headers={"Allow": ", ".join(self.allowed_methods)}, content_type="text/plain")


class SwaggerPageView(HtmlPageOptionsMixin, SpectacularSwaggerView):
    pass


class RedocPageView(HtmlPageOptionsMixin, SpectacularRedocView):
    pass


# --- Errors outside DRF views (no route matched, crash): the same JSON error body ---

def not_found(request, exception=None):
    if not is_api_request(request):
        from django.views.defaults import page_not_found

        return page_not_found(request, exception)
    return json_error("not_found", "Not found.", 404)


def server_error(request):
    if not is_api_request(request):
        from django.views.defaults import server_error as html_server_error

        return html_server_error(request)
    return json_error("server_error", "Internal server error.", 500)


# --- Metrics for Prometheus: outside the API, not public ---

def metrics(request):
    """``GET /metrics``: Prometheus' text format, to ``Authorization: Bearer <METRICS_TOKEN>`` only.

    Without ``METRICS_TOKEN`` the endpoint does not exist; with it, any other
    request is answered as an unknown URL (404), so nothing tells a scanner it is there.
    """
    if not metrics_authorized(request):
        return not_found(request)
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


def metrics_authorized(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    sent = request.META.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
    return hmac.compare_digest(sent, f"Bearer {token}".encode())
