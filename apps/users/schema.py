"""OpenAPI documentation of the account and token endpoints (kept apart from the view code).

Imported by ``UsersConfig.ready``: it also declares the bearer-token scheme so
Swagger UI's Authorize button works.
"""
from django.contrib.auth.password_validation import MinimumLengthValidator
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions as drf_exceptions
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.serializers import TokenObtainSerializer

from apps.core.schema import (
    ERROR_RESPONSES,
    JSON_PARSE_ERROR,
    error_response,
    required_field,
    unknown_field,
)
from apps.users.exceptions import (
    InvalidPassword,
    RefreshTokenInvalid,
    TokenAccountInactive,
    UsernameTaken,
    UsernameUnprintable,
    UserNotFound,
)
from apps.users.serializers import (
    LogoutInputSerializer,
    RegisterInputSerializer,
    TokenObtainInputSerializer,
    TokenPairOutputSerializer,
    TokenRefreshInputSerializer,
    TokenVerifyInputSerializer,
    UserLookupOutputSerializer,
    UserLookupQuerySerializer,
    UserOutputSerializer,
)


class StatelessJWTScheme(SimpleJWTScheme):
    target_class = "apps.users.authentication.StatelessJWTAuthentication"
    name = "jwtAuth"


USER_EXAMPLE = {"id": 1, "username": "alice", "email": "alice@example.com"}
_SHORT = MinimumLengthValidator().get_error_message()
_PASSWORD_TOO_SHORT = InvalidPassword.on_field("password", _SHORT)
# The answer to the username "रमन_1" (Devanagari); tests/test_schema_examples.py checks that the
# server sends exactly this.
_USERNAME_UNPRINTABLE = UsernameUnprintable.for_chars(list("रमन"))

register_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_register",
    tags=["auth"],
    summary="Create an account (and its empty wallet)",
    request=RegisterInputSerializer,
    responses={
        201: OpenApiResponse(UserOutputSerializer, description="The account and its empty wallet exist."),
        400: error_response("The account was not created.", required_field("username"), UsernameTaken,
                            _USERNAME_UNPRINTABLE, _PASSWORD_TOO_SHORT, unknown_field("is_staff"),
                            JSON_PARSE_ERROR),
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample(
            "Register", request_only=True,
            value={"username": "alice", "password": "correct-horse-battery",
                   "email": "alice@example.com"},
        ),
        OpenApiExample("Created", response_only=True, status_codes=["201"], value=USER_EXAMPLE),
    ],
))

me_schema = extend_schema_view(get=extend_schema(
    operation_id="users_me",
    tags=["users"],
    summary="The authenticated user",
    responses={
        200: OpenApiResponse(UserOutputSerializer, description="The caller's account."),
        401: ERROR_RESPONSES[401],
        404: error_response("The caller's account is disabled.", drf_exceptions.NotFound),
    },
    examples=[OpenApiExample("Me", response_only=True, value=USER_EXAMPLE)],
))

lookup_schema = extend_schema_view(get=extend_schema(
    operation_id="users_lookup",
    tags=["users"],
    summary="Find a user by username (to send them money)",
    description="An exact match, whatever the case (`Bob` finds `bob`); no prefix or partial "
                "search. Answers only the id and the username, never the e-mail address. "
                "Rate-limited per user (`THROTTLE_LOOKUP_RATE`).",
    parameters=[UserLookupQuerySerializer],
    responses={
        200: OpenApiResponse(UserLookupOutputSerializer, description="The active user with that username."),
        400: error_response("`username` is missing, empty, too long, or the query has an unknown parameter.",
                            required_field("username")),
        401: ERROR_RESPONSES[401],
        404: error_response("No active user has that username.", UserNotFound),
        429: ERROR_RESPONSES[429],
    },
    examples=[OpenApiExample("Found", response_only=True, status_codes=["200"],
                             value={"id": 2, "username": "bob"})],
))


# --- JWT tokens: simplejwt's views, documented with this API's error shape ---

_ACCESS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.access-signature"
_REFRESH = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.refresh-signature"


def _token_400(field: str):
    return error_response("Missing or malformed field, or a field the endpoint does not know.",
                          required_field(field), unknown_field("grant_type"), JSON_PARSE_ERROR)


_NO_ACTIVE_ACCOUNT = drf_exceptions.AuthenticationFailed(
    TokenObtainSerializer.default_error_messages["no_active_account"], TokenAccountInactive.code)
_TOKEN_PAIR = OpenApiResponse(TokenPairOutputSerializer, description="A new access and refresh token.")

token_obtain_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_token_create",
    tags=["auth"],
    summary="Sign in: exchange credentials for an access and a refresh token",
    description="Use `access` as `Authorization: Bearer <access>` (in Swagger UI: paste it, "
                "without `Bearer`, into Authorize). Renew it with `/api/auth/token/refresh/`.",
    request=TokenObtainInputSerializer,
    responses={
        200: _TOKEN_PAIR,
        400: _token_400("username"),
        # simplejwt refuses a sign-in with the same code and status as a refresh for a disabled account.
        401: error_response("Wrong username or password, or a disabled account.", _NO_ACTIVE_ACCOUNT),
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample("Credentials", request_only=True,
                       value={"username": "alice", "password": "correct-horse-battery"}),
        OpenApiExample("Tokens", response_only=True, status_codes=["200"],
                       value={"refresh": _REFRESH, "access": _ACCESS}),
    ],
))

token_refresh_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_token_refresh_create",
    tags=["auth"],
    summary="Get a new access token with a refresh token",
    description="Refresh tokens rotate: the answer carries a new refresh token, and the one sent "
                "is revoked, so each refresh token works exactly once.",
    request=TokenRefreshInputSerializer,
    responses={
        200: _TOKEN_PAIR,
        400: _token_400("refresh"),
        401: error_response("The refresh token is invalid or expired, or the account is disabled.",
                            RefreshTokenInvalid(InvalidToken.default_detail), TokenAccountInactive),
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample("Refresh token", request_only=True, value={"refresh": _REFRESH}),
        OpenApiExample("New token pair", response_only=True, status_codes=["200"],
                       value={"access": _ACCESS, "refresh": _REFRESH}),
    ],
))

token_verify_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_token_verify_create",
    tags=["auth"],
    summary="Check that a token is valid",
    description="Answers 200 with an empty object when the token is valid and not revoked.",
    request=TokenVerifyInputSerializer,
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="The token is valid: an empty object."),
        400: _token_400("token"),
        401: error_response("The token is invalid or expired.", InvalidToken),
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample("Token", request_only=True, value={"token": _ACCESS}),
        OpenApiExample("Valid", response_only=True, status_codes=["200"], value={}),
    ],
))

logout_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_logout",
    tags=["auth"],
    summary="Log out: revoke a refresh token",
    description="Blacklists the caller's refresh token so it can no longer be refreshed. "
                "Access tokens already issued stay valid until they expire "
                "(`JWT_ACCESS_MINUTES`).",
    request=LogoutInputSerializer,
    examples=[OpenApiExample("Logout", request_only=True, value={"refresh": _REFRESH})],
    responses={204: OpenApiResponse(description="The refresh token is revoked."),
               400: error_response("Missing or malformed field, or a field the endpoint does not know.",
                                   required_field("refresh"), unknown_field("access"), JSON_PARSE_ERROR),
               401: error_response("Missing or invalid access token, or the refresh token is invalid, "
                                   "expired, already revoked or someone else's.",
                                   drf_exceptions.NotAuthenticated, InvalidToken, AuthenticationFailed,
                                   RefreshTokenInvalid),
               429: ERROR_RESPONSES[429]},
))
