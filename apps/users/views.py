from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from apps.core.schema import ERROR_RESPONSES, error_response
from apps.core.throttling import AuthRateThrottle
from apps.users.selectors import user_get
from apps.users.serializers import LogoutInputSerializer, RegisterInputSerializer, UserOutputSerializer
from apps.users.services import refresh_token_revoke, user_create

TOKEN_REFUSED = error_response("The credentials or the token are not valid.",
                               "no_active_account", "token_not_valid")


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        summary="Create an account (and its empty wallet)",
        request=RegisterInputSerializer,
        responses={201: UserOutputSerializer, 400: ERROR_RESPONSES[400], 429: ERROR_RESPONSES[429]},
        examples=[OpenApiExample(
            "Register", request_only=True,
            value={"username": "alice", "password": "correct-horse-battery", "email": "alice@example.com"},
        )],
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
        responses={200: UserOutputSerializer, 401: ERROR_RESPONSES[401]},
    )
    def get(self, request):
        user = user_get(user_id=request.user.id)
        return Response(UserOutputSerializer(user).data)


# --- Tokens: simplejwt's views, rate-limited per client IP and fully documented ---

@extend_schema_view(post=extend_schema(
    operation_id="auth_token_create", tags=["auth"],
    responses={200: TokenObtainPairSerializer, 400: ERROR_RESPONSES[400], 401: TOKEN_REFUSED,
               429: ERROR_RESPONSES[429]},
))
class TokenObtainView(TokenObtainPairView):
    throttle_classes = [AuthRateThrottle]


@extend_schema_view(post=extend_schema(
    operation_id="auth_token_refresh_create", tags=["auth"],
    description="Exchanges a refresh token for a new access token **and a new refresh token**. "
                "The refresh token sent is blacklisted: it cannot be used twice.",
    responses={200: TokenRefreshSerializer, 400: ERROR_RESPONSES[400], 401: TOKEN_REFUSED,
               429: ERROR_RESPONSES[429]},
))
class TokenRefreshRotateView(TokenRefreshView):
    throttle_classes = [AuthRateThrottle]


@extend_schema_view(post=extend_schema(
    operation_id="auth_token_verify_create", tags=["auth"],
    responses={200: OpenApiResponse(description="The token is valid (empty object)."),
               400: ERROR_RESPONSES[400], 401: TOKEN_REFUSED, 429: ERROR_RESPONSES[429]},
))
class TokenCheckView(TokenVerifyView):
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
