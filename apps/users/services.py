from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from apps.core.exceptions import InvalidPassword, UsernameTaken

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
