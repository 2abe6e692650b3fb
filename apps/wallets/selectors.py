from collections.abc import Iterable

from django.shortcuts import get_object_or_404

from apps.wallets.models import Wallet


def wallet_get(*, user_id: int) -> Wallet:
    return get_object_or_404(Wallet.objects.filter(user__is_active=True), user_id=user_id)


def wallets_lock(*, user_ids: Iterable[int]) -> dict[int, Wallet]:
    """Lock the active users' wallets in one query, in ascending wallet id order.

    Every money movement locks through here, so two transfers touching the
    same wallets always take the locks in the same order and cannot deadlock.
    Must run inside ``transaction.atomic``. Returns ``{user_id: wallet}``;
    a missing key means no such active user or no wallet.
    """
    wallets = (
        Wallet.objects.select_for_update(of=("self",), no_key=True)
        .filter(user_id__in=list(user_ids), user__is_active=True)
        .only("id", "user_id", "balance")
        .order_by("pk")
    )
    return {wallet.user_id: wallet for wallet in wallets}
