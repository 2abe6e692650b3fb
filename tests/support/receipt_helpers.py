"""Shared pieces of the receipt tests."""
import io
import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pypdf

from apps.receipts.models import Receipt
from apps.receipts.rendering import Party, ReceiptData
from apps.receipts.tasks import receipts_relay


def receipt_url(txn_id: int, query: str = "") -> str:
    return f"/api/transactions/{txn_id}/receipt/{query}"


def media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def produce(txn_id: int) -> Receipt:
    """What a worker does when beat's relay tick reaches it: render every due receipt."""
    receipts_relay()
    return Receipt.objects.get(pk=txn_id)


LABELS = ["Issued by", "Receipt number", "Status", "Transaction id", "Date (UTC)", "Kind", "Sender",
          "Receiver", "Amount"]
DESCRIPTION = "Description"  # the last row, only when the transaction has one
REASON = "Reason"  # a reversal's memo, in the same place


def shown_rows(pdf: bytes) -> dict[str, list[str]]:
    """Each label's value as the PDF prints it, one string per line, read left to right.

    pypdf's layout mode gives a line's characters in the order they stand on the
    page, so a right-to-left name comes back as displayed (Arabic in its joined
    presentation forms).
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    lines = [line for page in reader.pages
             for line in page.extract_text(extraction_mode="layout").splitlines() if line.strip()]
    assert lines[0].strip() == "Receipt"
    rows: dict[str, list[str]] = {}
    label = None
    for line in lines[1:]:
        # a value's first line starts with its label (pypdf's layout may leave no space between);
        # the lines it wraps onto are indented
        starts = [name for name in (*LABELS, DESCRIPTION, REASON) if line.startswith(name)]
        if starts:
            label = max(starts, key=len)
            rows[label] = [line[len(label):].strip()]
        else:
            rows[label].append(line.strip())
    assert list(rows) in (LABELS, [*LABELS, DESCRIPTION], [*LABELS, REASON])
    return rows


def shown_name(lines: list[str], user_id: int) -> str:
    """A party's name as printed: its wrapped lines joined, without the "(user id N)" after it."""
    # a line break at a space drops that space
    return "".join(lines).removesuffix(f"(user id {user_id})").rstrip(" ")


def receipt(sender: str | None = "alice", receiver: str = "bob", **changes) -> ReceiptData:
    fields = {
        "transaction_id": 42, "kind": "transfer", "amount": Decimal("12.34"),
        # 09:08:09 at UTC+2: the receipt shows UTC
        "created_at": datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2))),
        "sender": None if sender is None else Party(id=1, username=sender),
        "receiver": Party(id=2, username=receiver),
        "currency": "USD", "issuer": "Wallet",
    }
    return ReceiptData(**{**fields, **changes})


def assert_prints_as(shown: str, name: str) -> None:
    if unicodedata.bidirectional(name[0]) in ("R", "AL"):
        # Right to left: the name comes back right to left, Arabic in its joined forms
        # (presentation forms, which NFKC maps back to the letters).
        assert unicodedata.normalize("NFKC", shown[::-1]) == name
        assert shown != name[::-1] or max(name) < "\u0600"  # Arabic is shaped, not only reversed
    else:
        assert shown == name
