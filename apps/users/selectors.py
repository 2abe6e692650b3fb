from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404

User = get_user_model()


def user_get(*, user_id: int) -> User:
    return get_object_or_404(User, pk=user_id, is_active=True)
