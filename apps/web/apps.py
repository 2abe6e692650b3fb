from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web client people use at ``/``: static ES modules that call the public API."""

    name = "apps.web"
    label = "web"
