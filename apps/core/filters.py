from django_filters.rest_framework import DjangoFilterBackend

from apps.core.exception_handler import GENERIC_VALIDATION_CODE
from apps.core.exceptions import ApiError


class InvalidFilter(ApiError):
    code = "invalid_filter"
    message = "A query parameter is not valid."


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, but an invalid or unknown query parameter is a 400, never ignored."""

    allowed_extra_params = ("cursor", "page_size", "format")

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        unknown = set(request.query_params) - set(filterset.filters) - set(self.allowed_extra_params)
        details = {name: [{"code": "unknown_parameter", "message": "Unknown query parameter."}]
                   for name in sorted(unknown)}
        if not filterset.is_valid():
            for name, errors in filterset.errors.get_json_data().items():
                details[name] = [{"code": e.get("code") or GENERIC_VALIDATION_CODE,
                                  "message": e["message"]} for e in errors]
        if details:
            first = next(iter(details))
            raise InvalidFilter(f"{first}: {details[first][0]['message']}", details=details)
        return filterset.qs
