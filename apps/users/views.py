from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from apps.users.schema import (
    logout_schema,
    lookup_schema,
    me_schema,
    register_schema,
    token_obtain_schema,
    token_refresh_schema,
    token_verify_schema,
)
from apps.users.selectors import user_get, user_get_by_username
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
from apps.users.services import refresh_token_revoke, refresh_token_rotate, user_create
from apps.users.throttling import AuthRateThrottle, LookupRateThrottle


@register_schema
class RegisterView(APIView):
    throttle_classes = [AuthRateThrottle]
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


@me_schema
class MeView(APIView):
    def get(self, request):
        user = user_get(user_id=request.user.id)
        return Response(UserOutputSerializer(user).data)


@lookup_schema
class LookupView(APIView):
    """Find a recipient by name before sending: ``{id, username}`` of an active user."""

    throttle_classes = [LookupRateThrottle]

    def get(self, request):
        query = UserLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = user_get_by_username(username=query.validated_data["username"])
        return Response(UserLookupOutputSerializer(user).data)


# --- JWT tokens: simplejwt's views, answering with this API's error shape ---

@token_obtain_schema
class TokenObtainView(jwt_views.TokenObtainPairView):
    serializer_class = TokenObtainInputSerializer
    throttle_classes = [AuthRateThrottle]


@token_refresh_schema
class TokenRefreshView(jwt_views.TokenRefreshView):
    # simplejwt's view for its docs, open access and `WWW-Authenticate` header; the
    # rotation itself is our service, so that a refresh token can be used only once.
    throttle_classes = [AuthRateThrottle]

    def post(self, request, *args, **kwargs):
        data = TokenRefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = refresh_token_rotate(token=data.validated_data["refresh"])
        return Response(TokenPairOutputSerializer(tokens).data)


@token_verify_schema
class TokenVerifyView(jwt_views.TokenVerifyView):
    serializer_class = TokenVerifyInputSerializer
    throttle_classes = [AuthRateThrottle]


@logout_schema
class LogoutView(APIView):
    throttle_classes = [AuthRateThrottle]

    def post(self, request):
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refresh_token_revoke(token=data.validated_data["refresh"], user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)
