from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "apps.wallets"
    label = "wallets"

    def ready(self):
        from apps.wallets import signals  # noqa: F401  (wallet for every new user)
