"""Declares the bearer-token scheme so Swagger UI's Authorize button works."""
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class StatelessJWTScheme(SimpleJWTScheme):
    target_class = "apps.users.authentication.StatelessJWTAuthentication"
    name = "jwtAuth"
