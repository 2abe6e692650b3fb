"""Refusals of the webhook endpoints: raised by the services, answered by the one error handler."""
from rest_framework import status

from apps.core.exceptions import ApiError


class WebhookLimitReached(ApiError):
    code = "webhook_limit_reached"
    message = "You have as many webhook endpoints as allowed; delete one first."

    @classmethod
    def for_limit(cls, limit: int) -> "WebhookLimitReached":
        return cls(f"At most {limit} webhook endpoints per user; delete one first.")


class WebhookUrlRefused(ApiError):
    code = "webhook_url_refused"
    message = "This URL cannot receive webhooks."


class WebhookDisabled(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "webhook_disabled"
    message = "The endpoint is disabled; enable it before asking for a redelivery."
