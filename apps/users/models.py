from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The account holder. Every user owns exactly one wallet (see apps.wallets)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
