from django.contrib import admin
from django.urls import include, path

from apps.core.views import (
    LivenessView,
    ReadinessView,
    RedocPageView,
    SchemaView,
    SwaggerPageView,
    metrics,
)
from apps.users.urls import auth_urlpatterns, users_urlpatterns
from apps.web.views import web_client

api_urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    path("users/", include(users_urlpatterns)),
    path("", include("apps.wallets.urls")),
    path("", include("apps.transactions.urls")),
    path("", include("apps.webhooks.urls")),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerPageView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocPageView.as_view(url_name="schema", template_name="core/redoc.html"),
         name="redoc"),
]

urlpatterns = [
    path("", web_client, name="web-client"),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
    path("healthz", LivenessView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics, name="metrics"),
]

# Unmatched URLs and crashes answer in the API's JSON error shape (HTML for the admin).
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
