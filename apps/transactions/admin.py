from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin
from apps.transactions.models import SystemAccount, Transaction


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log, read-only: no add, change or delete, single or bulk."""

    list_display = ("id", "kind", "sender", "receiver", "amount", "description", "created_at", "request_id")
    list_filter = ("kind", "created_at")
    list_select_related = ("sender", "receiver")
    # Exact, case-insensitive usernames: one user's rows, not every name containing the text.
    search_fields = ("=sender__username", "=receiver__username")
    search_help_text = "Exact username of the sender or the receiver."
    ordering = ("-id",)
    readonly_fields = ("kind", "sender", "receiver", "amount", "description", "created_at", "request_id")
    show_full_result_count = False


@admin.register(SystemAccount)
class SystemAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The accounts no user owns, read-only: their balances change only with their entries."""

    list_display = ("code", "balance", "updated_at")
    ordering = ("code",)
    readonly_fields = ("code", "balance", "created_at", "updated_at")
