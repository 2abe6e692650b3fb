from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TransactionsConfig(AppConfig):
    name = "apps.transactions"
    label = "transactions"

    def ready(self) -> None:
        from apps.core.metrics import scrape_collector_add
        from apps.transactions.metrics import ReceiptBacklogCollector
        from apps.transactions.receipt_fonts import code_point, unprintable

        scrape_collector_add(ReceiptBacklogCollector())

        issuer = settings.RECEIPT_ISSUER
        if missing := unprintable(issuer):
            raise ImproperlyConfigured(
                "RECEIPT_ISSUER has characters the receipt fonts cannot print: "
                + ", ".join(f"{c!r} {code_point(c)}" for c in missing))
