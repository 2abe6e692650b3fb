class ReadOnlyAdminMixin:
    """Admin pages that show rows but never add, change or delete them (money moves only via services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
