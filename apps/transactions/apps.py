from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TransactionsConfig(AppConfig):
    name = "apps.transactions"
    label = "transactions"

    def ready(self) -> None:
        from apps.transactions.receipt_fonts import code_point, unprintable, winansi

        issuer = settings.RECEIPT_ISSUER
        if not winansi(issuer) and (missing := unprintable(issuer)):  # Helvetica's text needs no font file
            raise ImproperlyConfigured(
                "RECEIPT_ISSUER has characters the receipt fonts cannot print: "
                + ", ".join(f"{c!r} {code_point(c)}" for c in missing))
