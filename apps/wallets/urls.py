from rest_framework.routers import SimpleRouter

from apps.wallets.views import WalletViewSet

router = SimpleRouter()
router.register("wallet", WalletViewSet, basename="wallet")

urlpatterns = router.urls
