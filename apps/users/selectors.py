from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404

from apps.users.exceptions import UserNotFound

User = get_user_model()


def user_get(*, user_id: int) -> User:
    return get_object_or_404(User, pk=user_id, is_active=True)


def user_get_by_username(*, username: str) -> User:
    """The active user with exactly this username, whatever its case (``Bob`` finds ``bob``)."""
    user = User.objects.with_username(username).filter(is_active=True).only("id", "username").first()
    if user is None:
        raise UserNotFound()
    return user
