"""OpenAPI documentation of the account and token endpoints (kept apart from the view code).

Imported by ``UsersConfig.ready``: it also declares the bearer-token scheme so
Swagger UI's Authorize button works.
"""
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions as drf_exceptions
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)

from apps.core.schema import ERROR_RESPONSES, INVALID_INPUT, UNKNOWN_FIELD, error_response
from apps.users.exceptions import InvalidPassword, RefreshTokenInvalid, TokenAccountInactive, UsernameTaken
from apps.users.serializers import LogoutInputSerializer, RegisterInputSerializer, UserOutputSerializer


class StatelessJWTScheme(SimpleJWTScheme):
    target_class = "apps.users.authentication.StatelessJWTAuthentication"
    name = "jwtAuth"


USER_EXAMPLE = {"id": 1, "username": "alice", "email": "alice@example.com"}

register_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_register",
    tags=["auth"],
    summary="Create an account (and its empty wallet)",
    request=RegisterInputSerializer,
    responses={
        201: UserOutputSerializer,
        400: error_response("The account was not created.", INVALID_INPUT, UsernameTaken,
                            InvalidPassword, UNKNOWN_FIELD, drf_exceptions.ParseError),
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
        200: UserOutputSerializer,
        401: ERROR_RESPONSES[401],
        404: error_response("The caller's account is disabled.", drf_exceptions.NotFound),
    },
    examples=[OpenApiExample("Me", response_only=True, value=USER_EXAMPLE)],
))


# --- JWT tokens: simplejwt's views, documented with this API's error shape ---

_ACCESS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.access-signature"
_REFRESH = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.refresh-signature"
_TOKEN_400 = error_response("Missing or malformed field.", INVALID_INPUT, drf_exceptions.ParseError)

token_obtain_schema = extend_schema_view(post=extend_schema(
    operation_id="auth_token_create",
    tags=["auth"],
    summary="Sign in: exchange credentials for an access and a refresh token",
    description="Use `access` as `Authorization: Bearer <access>` (in Swagger UI: paste it, "
                "without `Bearer`, into Authorize). Renew it with `/api/auth/token/refresh/`.",
    request=TokenObtainPairSerializer,
    responses={
        200: TokenObtainPairSerializer,
        400: _TOKEN_400,
        # simplejwt refuses a sign-in with the same code and status as a refresh for a disabled account.
        401: error_response("Wrong username or password, or a disabled account.", TokenAccountInactive),
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
    request=TokenRefreshSerializer,
    responses={
        200: TokenRefreshSerializer,
        400: _TOKEN_400,
        401: error_response("The refresh token is invalid or expired, or the account is disabled.",
                            RefreshTokenInvalid, TokenAccountInactive),
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
    request=TokenVerifySerializer,
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="The token is valid: an empty object."),
        400: _TOKEN_400,
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
               400: ERROR_RESPONSES[400],
               401: error_response("Missing access token, or the refresh token is invalid, "
                                   "expired, already revoked or someone else's.",
                                   drf_exceptions.NotAuthenticated, RefreshTokenInvalid),
               429: ERROR_RESPONSES[429]},
))
