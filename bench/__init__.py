"""Throughput and latency benchmark of the wallet API (``make bench``)."""


def django_setup() -> None:
    """Django configured from the environment, for the scripts run as ``python -m bench.<name>``."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
