"""The page that loads the web client. Everything else it shows comes from the public API."""
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

# No inline script or style anywhere in the client: scripts, styles, images and API calls
# come from this origin only, and no other site may frame the page.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def with_content_security_policy(response):
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Referrer-Policy"] = "no-referrer"
    return response


class WebClientView(TemplateView):
    """``GET /``: the client's one HTML page (never cached, so a new release loads at once)."""

    template_name = "web/index.html"
    http_method_names = ["get", "head"]

    def render_to_response(self, context, **response_kwargs):
        return with_content_security_policy(super().render_to_response(context, **response_kwargs))


web_client = never_cache(WebClientView.as_view())
