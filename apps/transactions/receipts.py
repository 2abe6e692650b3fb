"""Receipt rendering: pure functions from a transaction to bytes.

No database or storage access here. The output is deterministic (reportlab's
``invariant`` mode), so rendering the same transaction twice gives the same
bytes and a re-run overwrites a receipt with an identical file.
"""
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas


@dataclass(frozen=True)
class Party:
    id: int
    username: str


@dataclass(frozen=True)
class ReceiptData:
    transaction_id: int
    kind: str
    sender: Party | None  # None for a deposit
    receiver: Party
    amount: Decimal
    created_at: datetime


def receipt_number(*, transaction_id: int, created_at: datetime) -> str:
    """``R-YYYYMMDD-<transaction id, 10 digits>``: stable, unique, sortable."""
    return f"R-{created_at.astimezone(UTC):%Y%m%d}-{transaction_id:010d}"


def receipt_paths(*, transaction_id: int, created_at: datetime) -> tuple[str, str]:
    """Storage names of the PDF and text receipts: receipts/<yyyy>/<mm>/<id>.pdf|.txt."""
    base = f"receipts/{created_at.astimezone(UTC):%Y/%m}/{transaction_id}"
    return f"{base}.pdf", f"{base}.txt"


def _party(party: Party | None) -> str:
    return "(deposit: outside the system)" if party is None else f"{party.username} (user id {party.id})"


def receipt_lines(data: ReceiptData) -> list[tuple[str, str]]:
    when = data.created_at.astimezone(UTC)
    return [
        ("Receipt number", receipt_number(transaction_id=data.transaction_id, created_at=data.created_at)),
        ("Transaction id", str(data.transaction_id)),
        ("Date (UTC)", f"{when:%Y-%m-%d %H:%M:%S} UTC"),
        ("Kind", data.kind),
        ("Sender", _party(data.sender)),
        ("Receiver", _party(data.receiver)),
        ("Amount", f"{data.amount:.2f}"),
    ]


def render_text(data: ReceiptData) -> bytes:
    lines = ["Wallet receipt", "=" * 14, ""]
    lines += [f"{label + ':':<16} {value}" for label, value in receipt_lines(data)]
    return ("\n".join(lines) + "\n").encode()


def render_pdf(data: ReceiptData) -> bytes:
    buffer = io.BytesIO()
    number = receipt_number(transaction_id=data.transaction_id, created_at=data.created_at)
    pdf = Canvas(buffer, pagesize=A5, invariant=1, pageCompression=0)
    pdf.setTitle(f"Receipt {number}")
    pdf.setAuthor("Wallet")
    width, height = A5
    y = height - 20 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(15 * mm, y, "Wallet receipt")
    y -= 12 * mm
    for label, value in receipt_lines(data):
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(15 * mm, y, label)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(50 * mm, y, value)
        y -= 7 * mm
    pdf.line(15 * mm, y, width - 15 * mm, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
