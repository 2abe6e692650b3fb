"""The wallet's query parameter: ``at``, an instant in the past."""
import datetime as dt

from django.core.exceptions import ValidationError
from django.http import QueryDict

from apps.core.exceptions import InvalidFilter
from apps.core.filters import UTCDateTimeField

AT = "at"


def wallet_moment(query: QueryDict) -> dt.datetime | None:
    """``?at=``, read as the statement reads ``from`` and ``to`` (no offset means UTC); None
    when absent. Invalid, empty or repeated, it is a 400 ``invalid_filter`` naming ``at``."""
    values = query.getlist(AT)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidFilter.on_param(AT, "repeated_parameter", "Give this parameter once.")
    if values[0] == "":
        raise InvalidFilter.on_param(AT, "blank", "This parameter must not be empty.")
    try:
        return UTCDateTimeField().clean(values[0])
    except ValidationError as error:
        raise InvalidFilter.on_param(AT, error.code or "invalid", error.messages[0]) from None
