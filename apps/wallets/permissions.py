from django.contrib.auth import get_user_model
from rest_framework.permissions import BasePermission


class IsStaff(BasePermission):
    """Staff only, checked against the database rather than the token's claims."""

    message = "Only staff can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated) and get_user_model().objects.filter(
            pk=user.id, is_active=True, is_staff=True,
        ).exists()
