from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower


class UserManager(DjangoUserManager):
    """Usernames name one account whatever their case: ``Alice`` and ``alice`` are the same."""

    def with_username(self, username: str) -> models.QuerySet:
        # LOWER() on both sides, the expression of the unique index below: the
        # lookup uses that index, and the database decides what "same case" means.
        return self.alias(username_lower=Lower("username")).filter(
            username_lower=Lower(Value(username))
        )

    def get_by_natural_key(self, username):
        """Sign-in (ModelBackend) and ``createsuperuser`` match usernames case-insensitively."""
        return self.with_username(username).get()


class User(AbstractUser):
    """The account holder. Every user owns exactly one wallet (see apps.wallets)."""

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("username"), name="users_user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ]
