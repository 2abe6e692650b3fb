"""The one hook that keeps "every user has a wallet" true however a user is made.

Users come from the API, the admin, ``createsuperuser`` and data migrations;
a post-save receiver is the only point all of them pass through.
"""
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.wallets.services import wallet_create


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="wallet_for_new_user")
def create_wallet_for_new_user(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        wallet_create(user=instance)
