"""Request checks that must happen before Django reads the body, and each request's id, log and metrics."""
import time

from django.utils.functional import SimpleLazyObject, empty

from apps.core.exception_handler import is_api_request, json_error
from apps.core.exceptions import LengthRequired
from apps.core.logs import DirectLine
from apps.core.metrics import UNMATCHED_ROUTE, request_observe, route_label
from apps.core.request_context import (
    REQUEST_ID_HEADER,
    context_bind,
    context_fields,
    context_start,
    request_id_accept,
)

request_line = DirectLine("apps.request")  # one line per request: the access log

BODYLESS_METHODS = {"GET", "HEAD", "OPTIONS", "DELETE"}  # no endpoint reads a body there


class RequireContentLengthMiddleware:
    """A body sent with ``Transfer-Encoding: chunked`` and no ``Content-Length`` is refused.

    Django reads exactly ``Content-Length`` bytes of a request body, so such a
    body would be read as empty and the request answered as if its fields were
    missing. It gets a clear 400 ``length_required`` instead. Outside
    ``/admin/`` only, like the other JSON error pages, and only on methods whose body is read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (chunked and request.method not in BODYLESS_METHODS and not request.META.get("CONTENT_LENGTH")
                and is_api_request(request)):
            return json_error(LengthRequired.code, LengthRequired.message, LengthRequired.status_code)
        return self.get_response(request)


class RequestObservabilityMiddleware:
    """Gives each request its id, its log context, its request log line and its metrics.

    The id is the incoming ``X-Request-ID`` when it is a sane token, else a new
    one; it is sent back on every response, and every log line written while
    the request is served carries it (and the route, the user and, for a money
    movement, the transaction's id and kind once they are known). First in
    ``MIDDLEWARE``, so answers given by other middleware are counted too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = request_id_accept(request.META.get("HTTP_X_REQUEST_ID"))
        # Ended when the response is closed (``request_finished``, see ``apps.core.apps``), not
        # here: Django's own 4xx/5xx line and a streamed body's lines come after this returns.
        context_start(request_id=request_id)
        response = self.get_response(request)
        duration = time.perf_counter() - started
        response[REQUEST_ID_HEADER] = request_id
        match = request.resolver_match
        route = route_label(match.route) if match is not None else UNMATCHED_ROUTE
        request_observe(route, request.method, response.status_code, duration)
        if request_line.enabled():
            request_line.info(f"{request.method} {route} {response.status_code}", {
                "method": request.method, "route": route, "status": response.status_code,
                "duration_ms": round(duration * 1000, 2), "user_id": _user_id(request)})
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        context_bind(route=route_label(request.resolver_match.route))


def _user_id(request) -> int | None:
    """The authenticated user's id, without a query: a session user not yet loaded stays unknown."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return context_fields().get("user_id")
    return getattr(user, "pk", None)
