from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from apps.core.admin import ReadOnlyAdminMixin
from apps.core.exceptions import ApiError
from apps.transactions.admin import TransactionAdmin
from apps.transactions.descriptions import DESCRIPTION_MAX_LENGTH
from apps.wallets.models import Wallet
from apps.wallets.services import reversal_create


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View-only: a balance changes only through apps.wallets.services (under row locks).

    Wallets are created with their user and never deleted, so the admin can
    neither add, change nor delete one.
    """

    list_display = ("id", "user", "balance", "held", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    ordering = ("-id",)
    readonly_fields = ("user", "balance", "held", "created_at", "updated_at")
    show_full_result_count = False


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=DESCRIPTION_MAX_LENGTH, strip=True,
                             help_text="Printed on the reversal's receipts and shown to both parties.")


@admin.action(description="Reverse what remains of the selected transactions")
def reverse_transactions(modeladmin, request, queryset):
    """Staff reversal from the admin: a reason first, then one reversal per transaction, as the API does.

    Each reversal is its own movement (``reversal_create``): one refused (already returned, a
    reversal itself, funds gone) is reported and the others go ahead.
    """
    form = ReversalForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return TemplateResponse(request, "wallets/admin_reverse.html", {
            **modeladmin.admin_site.each_context(request), "title": "Reverse transactions",
            "form": form, "transactions": queryset, "action": "reverse_transactions",
            "opts": modeladmin.model._meta})
    for txn in queryset.order_by("pk"):
        try:
            result = reversal_create(transaction_id=txn.pk, reason=form.cleaned_data["reason"],
                                     staff_id=request.user.pk)
        except ApiError as refusal:
            modeladmin.message_user(request, f"Transaction {txn.pk} was not reversed: {refusal.message}",
                                    messages.WARNING)
        else:
            modeladmin.message_user(request, f"Transaction {txn.pk} reversed by transaction "
                                             f"{result.transaction.pk} ({result.transaction.amount}).")
    return None


# The ledger's admin cannot import the wallets (imports run wallets → transactions): the action
# that moves money is attached here, where the service lives.
TransactionAdmin.actions = [*TransactionAdmin.actions, reverse_transactions]
