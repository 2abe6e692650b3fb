from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class ReceiptsConfig(AppConfig):
    name = "apps.receipts"
    label = "receipts"

    def ready(self) -> None:
        from apps.core.metrics import scrape_collector_add
        from apps.core.printable import code_point, unprintable
        from apps.receipts.metrics import receipt_backlog_collector

        scrape_collector_add(receipt_backlog_collector())

        issuer = settings.RECEIPT_ISSUER
        if missing := unprintable(issuer):
            raise ImproperlyConfigured(
                "RECEIPT_ISSUER has characters the receipt fonts cannot print: "
                + ", ".join(f"{c!r} {code_point(c)}" for c in missing))
