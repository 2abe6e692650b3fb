from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
    TokenVerifySerializer,
)

from apps.core.schema import ERROR_RESPONSES, error_response
from apps.core.throttling import AuthRateThrottle
from apps.users.selectors import user_get
from apps.users.serializers import (
    LogoutInputSerializer,
    RegisterInputSerializer,
    TokenObtainInputSerializer,
    TokenPairOutputSerializer,
    TokenRefreshInputSerializer,
    UserOutputSerializer,
)
from apps.users.services import refresh_token_revoke, refresh_token_rotate, user_create


class RegisterView(APIView):
    throttle_classes = [AuthRateThrottle]
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        summary="Create an account (and its empty wallet)",
        request=RegisterInputSerializer,
        responses={
            201: UserOutputSerializer,
            400: error_response("The account was not created.", "invalid_input", "username_taken",
                                "invalid_password", "unknown_field", "parse_error"),
            429: ERROR_RESPONSES[429],
        },
        examples=[
            OpenApiExample(
                "Register", request_only=True,
                value={"username": "alice", "password": "correct-horse-battery",
                       "email": "alice@example.com"},
            ),
            OpenApiExample("Created", response_only=True, status_codes=["201"],
                           value={"id": 1, "username": "alice", "email": "alice@example.com"}),
        ],
    )
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class MeView(APIView):
    @extend_schema(
        operation_id="users_me",
        tags=["users"],
        summary="The authenticated user",
        responses={
            200: UserOutputSerializer,
            401: ERROR_RESPONSES[401],
            404: error_response("The caller's account is disabled.", "not_found"),
        },
        examples=[OpenApiExample("Me", response_only=True,
                                 value={"id": 1, "username": "alice", "email": "alice@example.com"})],
    )
    def get(self, request):
        user = user_get(user_id=request.user.id)
        return Response(UserOutputSerializer(user).data)


# --- JWT tokens: simplejwt's views, documented with this API's error shape ---

_ACCESS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.access-signature"
_REFRESH = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.refresh-signature"
_TOKEN_400 = error_response("Missing or malformed field.", "invalid_input", "parse_error")
_TOKEN_INVALID = error_response("The token is invalid or expired.", "token_not_valid")


@extend_schema_view(post=extend_schema(
    operation_id="auth_token_create",
    tags=["auth"],
    summary="Sign in: exchange credentials for an access and a refresh token",
    description="Use `access` as `Authorization: Bearer <access>` (in Swagger UI: paste it, "
                "without `Bearer`, into Authorize). Renew it with `/api/auth/token/refresh/`.",
    request=TokenObtainPairSerializer,
    responses={
        200: TokenObtainPairSerializer,
        400: _TOKEN_400,
        401: error_response("Wrong username or password, or a disabled account.", "no_active_account"),
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample("Credentials", request_only=True,
                       value={"username": "alice", "password": "correct-horse-battery"}),
        OpenApiExample("Tokens", response_only=True, status_codes=["200"],
                       value={"refresh": _REFRESH, "access": _ACCESS}),
    ],
))
class TokenObtainView(jwt_views.TokenObtainPairView):
    serializer_class = TokenObtainInputSerializer
    throttle_classes = [AuthRateThrottle]


@extend_schema_view(post=extend_schema(
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
                            "token_not_valid", "no_active_account"),
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample("Refresh token", request_only=True, value={"refresh": _REFRESH}),
        OpenApiExample("New token pair", response_only=True, status_codes=["200"],
                       value={"access": _ACCESS, "refresh": _REFRESH}),
    ],
))
class TokenRefreshView(jwt_views.TokenRefreshView):
    # simplejwt's view for its docs, open access and `WWW-Authenticate` header; the
    # rotation itself is our service, so that a refresh token can be used only once.
    throttle_classes = [AuthRateThrottle]

    def post(self, request, *args, **kwargs):
        data = TokenRefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = refresh_token_rotate(token=data.validated_data["refresh"])
        return Response(TokenPairOutputSerializer(tokens).data)


@extend_schema_view(post=extend_schema(
    operation_id="auth_token_verify_create",
    tags=["auth"],
    summary="Check that a token is valid",
    request=TokenVerifySerializer,
    responses={
        200: OpenApiResponse(OpenApiTypes.OBJECT, description="The token is valid: an empty object."),
        400: _TOKEN_400,
        401: _TOKEN_INVALID,
        429: ERROR_RESPONSES[429],
    },
    examples=[
        OpenApiExample("Token", request_only=True, value={"token": _ACCESS}),
        OpenApiExample("Valid", response_only=True, status_codes=["200"], value={}),
    ],
))
class TokenVerifyView(jwt_views.TokenVerifyView):
    throttle_classes = [AuthRateThrottle]


class LogoutView(APIView):
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
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
                                       "not_authenticated", "token_not_valid"),
                   429: ERROR_RESPONSES[429]},
    )
    def post(self, request):
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refresh_token_revoke(token=data.validated_data["refresh"], user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)
