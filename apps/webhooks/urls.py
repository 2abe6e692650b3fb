from rest_framework.routers import SimpleRouter

from apps.webhooks.views import EventViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("events", EventViewSet, basename="event")

urlpatterns = router.urls
