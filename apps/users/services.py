from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.exceptions import InvalidPassword, RefreshTokenInvalid, UsernameTaken

User = get_user_model()


def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an active user (its wallet is created with it, see apps.wallets.signals)."""
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        rules = [{"code": InvalidPassword.code, "message": m} for m in exc.messages]
        raise InvalidPassword(" ".join(exc.messages), details={"password": rules}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    return user


def refresh_token_revoke(*, token: str, user_id: int) -> None:
    """Blacklist the caller's refresh token (logout): it can never be refreshed again.

    Access tokens already issued stay valid until they expire (they are
    stateless), which is why they are short-lived.
    """
    try:
        refresh = RefreshToken(token)  # checks signature, expiry, type and the blacklist
    except TokenError as exc:
        raise RefreshTokenInvalid() from exc
    if str(refresh.payload.get(jwt_settings.USER_ID_CLAIM)) != str(user_id):
        raise RefreshTokenInvalid("The refresh token belongs to another account.")
    refresh.blacklist()
