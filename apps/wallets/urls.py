from rest_framework.routers import SimpleRouter

from apps.wallets.hold_views import HoldViewSet
from apps.wallets.return_views import TransactionReturnViewSet
from apps.wallets.views import WalletViewSet

router = SimpleRouter()
router.register("wallet", WalletViewSet, basename="wallet")
router.register("holds", HoldViewSet, basename="hold")
# Beside the history's routes (apps.transactions.urls): a refund or a reversal is a movement.
router.register("transactions", TransactionReturnViewSet, basename="transaction-return")

urlpatterns = router.urls
