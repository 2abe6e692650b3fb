from rest_framework.routers import SimpleRouter

from apps.wallets.hold_views import HoldViewSet
from apps.wallets.views import WalletViewSet

router = SimpleRouter()
router.register("wallet", WalletViewSet, basename="wallet")
router.register("holds", HoldViewSet, basename="hold")

urlpatterns = router.urls
