"""Request checks that must happen before Django reads the body."""
from apps.core.exception_handler import is_api_request, json_error
from apps.core.exceptions import LengthRequired

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
