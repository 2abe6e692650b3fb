from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin
from apps.transactions.models import Transaction


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
