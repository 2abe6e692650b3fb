"""A safety net: a wallet for a user made outside ``user_create``.

The API's registration (``apps.users.services.user_create``) creates the
wallet itself, in the same transaction as the user, and marks the user
(``WALLET_CREATED_BY_SERVICE``) so that this receiver leaves it alone. Users
made by ``createsuperuser`` or the admin's "add user" page do not pass
through that service; this receiver gives them their wallet.
"""
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.wallets.services import WALLET_CREATED_BY_SERVICE, wallet_create


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="wallet_for_new_user")
def create_wallet_for_new_user(sender, instance, created, raw=False, **kwargs):
    if created and not raw and not getattr(instance, WALLET_CREATED_BY_SERVICE, False):
        wallet_create(user=instance)
