from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.schema import ERROR_RESPONSES
from apps.users.selectors import user_get
from apps.users.serializers import RegisterInputSerializer, UserOutputSerializer
from apps.users.services import user_create


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        summary="Create an account (and its empty wallet)",
        request=RegisterInputSerializer,
        responses={201: UserOutputSerializer, 400: ERROR_RESPONSES[400]},
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
