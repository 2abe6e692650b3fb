from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.printable import unprintable
from apps.users.exceptions import (
    InvalidPassword,
    RefreshTokenInvalid,
    TokenAccountInactive,
    UsernameTaken,
    UsernameUnprintable,
)
from apps.wallets.services import WALLET_CREATED_BY_SERVICE, wallet_create

User = get_user_model()


def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an active user and its empty wallet, in one transaction.

    Usernames are unique whatever their case (``Alice`` and ``alice`` are one
    account); the check here gives the friendly error, the unique index on
    ``LOWER(username)`` is the guarantee when two registrations race. The name
    must be one that receipts can print: a character none of the receipt fonts
    draws (a script they do not cover) is refused with ``username_unprintable``.
    """
    if missing := unprintable(username):
        raise UsernameUnprintable.for_chars(missing)
    if User.objects.with_username(username).exists():
        raise UsernameTaken()
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        rules = [{"code": InvalidPassword.code, "message": m} for m in exc.messages]
        raise InvalidPassword(" ".join(exc.messages), details={"password": rules}) from exc
    user.set_password(password)
    setattr(user, WALLET_CREATED_BY_SERVICE, True)  # the wallet is created just below
    try:
        with transaction.atomic():
            user.save()
            wallet_create(user=user)
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


def refresh_token_rotate(*, token: str) -> dict[str, str]:
    """Exchange a refresh token for a new access and refresh token pair; the old one dies.

    A refresh token is usable exactly once. Its ``OutstandingToken`` row is
    locked while the blacklist is checked and written, so when the same token
    is sent twice at once one request gets the new pair and the others wait,
    then find it blacklisted (401). The blacklist entry for the old token and
    the record of the new one commit together.
    """
    try:
        refresh = RefreshToken(token)  # signature, expiry, type, and a first blacklist check
    except TokenError as exc:
        raise RefreshTokenInvalid(InvalidToken.default_detail) from exc
    user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
    user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first() if user_id else None
    if not jwt_settings.USER_AUTHENTICATION_RULE(user):  # deleted or disabled
        raise TokenAccountInactive()

    with transaction.atomic():
        used = (OutstandingToken.objects.select_for_update()
                .filter(jti=refresh.payload[jwt_settings.JTI_CLAIM]).first())
        # No record: never issued here, or its record (and blacklist entry) was deleted.
        if used is None or BlacklistedToken.objects.filter(token=used).exists():
            raise RefreshTokenInvalid(InvalidToken.default_detail)
        BlacklistedToken.objects.create(token=used)
        new = RefreshToken.for_user(user)  # records itself as outstanding
    return {"access": str(new.access_token), "refresh": str(new)}
