"""Refusals of account and token operations."""
from rest_framework import status

from apps.core.exceptions import ApiError
from apps.core.printable import PRINTABLE_SCRIPTS, code_point


class UsernameTaken(ApiError):
    code = "username_taken"
    message = "A user with that username already exists."


class UsernameUnprintable(ApiError):
    code = "username_unprintable"
    message = "The username has characters that receipts cannot print."

    @classmethod
    def for_chars(cls, missing: list[str]) -> "UsernameUnprintable":
        """The refusal naming (up to five of) the characters no receipt font draws."""
        named = ", ".join(f"{c} ({code_point(c)[1:-1]})" for c in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return cls.on_field("username", f"{cls.message[:-1]}: {named}{more}. Receipts print the letters "
                                        f"and digits of scripts such as {PRINTABLE_SCRIPTS}.")


class InvalidPassword(ApiError):
    code = "invalid_password"
    message = "The password does not meet the password rules."


class RefreshTokenInvalid(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "token_not_valid"
    message = "The refresh token is invalid, expired or already revoked."


class TokenAccountInactive(ApiError):
    """A valid refresh token whose account was disabled or no longer exists."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "no_active_account"
    message = "No active account found for the given token."


class UserNotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "user_not_found"
    message = "No active user has that username."
