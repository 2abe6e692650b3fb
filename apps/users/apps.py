from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "apps.users"
    label = "users"

    def ready(self):
        from apps.users import schema  # noqa: F401  (registers the OpenAPI auth scheme)
