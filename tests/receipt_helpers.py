"""Shared pieces of the receipt tests."""
from pathlib import Path

from apps.transactions.models import Receipt
from apps.transactions.tasks import receipts_relay


def receipt_url(txn_id: int, query: str = "") -> str:
    return f"/api/transactions/{txn_id}/receipt/{query}"


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def produce(txn_id: int) -> Receipt:
    """What a worker does when beat's relay tick reaches it: render every due receipt."""
    receipts_relay()
    return Receipt.objects.get(pk=txn_id)
