"""Shared pieces of the receipt tests."""
import io
from pathlib import Path

import pypdf

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


LABELS = ["Issued by", "Receipt number", "Status", "Transaction id", "Date (UTC)", "Kind", "Sender",
          "Receiver", "Amount"]
DESCRIPTION = "Description"  # the last row, only when the transaction has one


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
        starts = [name for name in (*LABELS, DESCRIPTION) if line.startswith(name)]
        if starts:
            label = max(starts, key=len)
            rows[label] = [line[len(label):].strip()]
        else:
            rows[label].append(line.strip())
    assert list(rows) in (LABELS, [*LABELS, DESCRIPTION])
    return rows


def shown_name(lines: list[str], user_id: int) -> str:
    """A party's name as printed: its wrapped lines joined, without the "(user id N)" after it."""
    # a line break at a space drops that space
    return "".join(lines).removesuffix(f"(user id {user_id})").rstrip(" ")
