from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin
from apps.wallets.models import Wallet


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View-only: a balance changes only through apps.wallets.services (under row locks).

    Wallets are created with their user and never deleted, so the admin can
    neither add, change nor delete one.
    """

    list_display = ("id", "user", "balance", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    ordering = ("-id",)
    readonly_fields = ("user", "balance", "created_at", "updated_at")
    show_full_result_count = False
