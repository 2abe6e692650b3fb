from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.metrics import scrape_collector_add
        from apps.webhooks.metrics import webhook_backlog_collector

        scrape_collector_add(webhook_backlog_collector())
