from django.urls import path

from apps.users.views import (
    LogoutView,
    LookupView,
    MeView,
    RegisterView,
    TokenObtainView,
    TokenRefreshView,
    TokenVerifyView,
)

auth_urlpatterns = [
    path("register/", RegisterView.as_view(), name="auth-register"),
    path("token/", TokenObtainView.as_view(), name="token-obtain"),
    path("token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("token/verify/", TokenVerifyView.as_view(), name="token-verify"),
    path("logout/", LogoutView.as_view(), name="auth-logout"),
]

users_urlpatterns = [
    path("me/", MeView.as_view(), name="users-me"),
    path("lookup/", LookupView.as_view(), name="users-lookup"),
]
