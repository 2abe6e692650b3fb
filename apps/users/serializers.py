from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from apps.core.fields import InputSerializer, StrictCharField, StrictEmailField, StrictRegexField


class RegisterInputSerializer(InputSerializer):
    username = StrictRegexField(
        r"^[\w.@+-]+\Z", max_length=150,
        error_messages={"invalid": "Letters, digits and @/./+/-/_ only."},
    )
    password = StrictCharField(write_only=True, max_length=128, trim_whitespace=False,
                               style={"input_type": "password"})
    # Bounded like the column (254, RFC 5321's limit): a longer address is a 400, not a database error.
    email = StrictEmailField(required=False, allow_blank=True, default="", max_length=254)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    # A CharField, not an EmailField: the address is optional and comes back "" when none was given.
    email = serializers.CharField(help_text="The e-mail address, or an empty string.")


class LogoutInputSerializer(InputSerializer):
    refresh = StrictCharField(max_length=4096, help_text="The refresh token to revoke.")


class TokenRefreshInputSerializer(serializers.Serializer):
    # Like simplejwt's TokenRefreshSerializer (unknown fields are ignored, as on the other token
    # endpoints); the OpenAPI docs keep describing the endpoint with simplejwt's serializer.
    # A number is a token that is not valid (401), as simplejwt answers.
    refresh = serializers.CharField()


class TokenObtainInputSerializer(TokenObtainPairSerializer):
    """simplejwt's sign-in, credentials as JSON strings and the password exactly as registered.

    simplejwt's password field trims surrounding whitespace, which registration
    keeps: an account whose password starts or ends with a space could never sign in.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictCharField(write_only=True, trim_whitespace=False,
                                                  style={"input_type": "password"})


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
