from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenVerifySerializer

from apps.core.fields import (
    InputSerializer,
    RefuseUnknownFieldsMixin,
    StrictCharField,
    StrictEmailField,
    StrictRegexField,
)
from apps.users.usernames import USERNAME_INVALID, USERNAME_REGEX, username_pattern


def _password_min_length() -> int:
    return max((v.min_length for v in get_default_password_validators()
                if isinstance(v, MinimumLengthValidator)), default=1)


class NewPasswordField(StrictCharField):
    """A new account's password, kept exactly as sent (spaces included).

    The password rules (``AUTH_PASSWORD_VALIDATORS``, answered as 400
    ``invalid_password``) as far as a schema can say them: the minimum length,
    and not only digits (nor a NUL character).
    """

    def __init__(self, **kwargs):
        minimum = _password_min_length()
        kwargs.setdefault("help_text", f"At least {minimum} characters, not only digits, not a common "
                                       "password and not too similar to the username or e-mail address; "
                                       "kept exactly as sent (spaces included).")
        super().__init__(trim_whitespace=False, **kwargs)
        self.schema_constraints = {"minLength": minimum, "pattern": r"^[^\x00]*[^0-9\x00][^\x00]*$"}


class UsernameField(StrictRegexField):
    """A new username: letters and digits of any script, and ``_.@+-`` (``apps.users.usernames``)."""

    def __init__(self, **kwargs):
        super().__init__(USERNAME_REGEX, max_length=150, error_messages={"invalid": USERNAME_INVALID},
                         **kwargs)

    @property
    def schema_constraints(self) -> dict:
        return {"pattern": username_pattern()}  # the same in JavaScript and Python


class RegisterInputSerializer(InputSerializer):
    """A new account. Unknown fields are an error."""

    username = UsernameField()
    password = NewPasswordField(write_only=True, max_length=128, style={"input_type": "password"})
    # Bounded like the column (254, RFC 5321's limit): a longer address is a 400, not a database error.
    email = StrictEmailField(required=False, allow_blank=True, default="", max_length=254)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    # A CharField, not an EmailField: the address is optional and comes back "" when none was given.
    email = serializers.CharField(help_text="The e-mail address, or an empty string.")


class UserLookupQuerySerializer(InputSerializer):
    """``?username=``: the exact name to find, whatever its case. Unknown parameters are an error."""

    username = StrictCharField(max_length=150,
                               help_text="The exact username, in any case (`Bob` finds `bob`).")


class UserLookupOutputSerializer(serializers.Serializer):
    """Only what a sender needs to confirm a recipient: no e-mail address."""

    id = serializers.IntegerField()
    username = serializers.CharField()


class LogoutInputSerializer(InputSerializer):
    """The refresh token to revoke. Unknown fields are an error."""

    refresh = StrictCharField(max_length=4096, help_text="The refresh token to revoke.")


# The token bodies keep simplejwt's component names in the OpenAPI schema (TokenObtainPairRequest, ...).
@extend_schema_serializer(component_name="TokenRefresh")
class TokenRefreshInputSerializer(InputSerializer):
    """A refresh token to exchange for a new pair. Unknown fields are an error."""

    # Like simplejwt's TokenRefreshSerializer: a number is a token that is not valid (401).
    refresh = serializers.CharField()


@extend_schema_serializer(component_name="TokenObtainPair")
class TokenObtainInputSerializer(RefuseUnknownFieldsMixin, TokenObtainPairSerializer):
    """Credentials to sign in with. Unknown fields are an error."""

    # simplejwt's sign-in, with the credentials as JSON strings and the password exactly as
    # registered: simplejwt's password field trims surrounding whitespace, which registration
    # keeps, so an account whose password starts or ends with a space could never sign in.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictCharField(write_only=True, trim_whitespace=False,
                                                  style={"input_type": "password"})


@extend_schema_serializer(component_name="TokenVerify")
class TokenVerifyInputSerializer(RefuseUnknownFieldsMixin, TokenVerifySerializer):
    """A token to check. Unknown fields are an error."""


@extend_schema_serializer(component_name="TokenPair")
class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="The access token: `Authorization: Bearer <access>`.")
    refresh = serializers.CharField(help_text="The refresh token; it works once.")
