"""A refund's and a reversal's receipts name the original and carry the memo or the reason."""
import shutil
import subprocess
from decimal import Decimal

import pytest

from apps.wallets.services import deposit_create, refund_create, reversal_create, transfer_create
from tests.support.receipt_helpers import produce, receipt_url, shown_rows

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The PDF as poppler's pdftotext reads it when installed, else as pypdf reads its rows."""
    if shutil.which("pdftotext"):
        path = tmp_path / "receipt.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                              text=True).stdout
    return "\n".join(f"{label} {' '.join(lines)}" for label, lines in shown_rows(pdf).items())


def download(client, txn_id: int, fmt: str) -> bytes:
    response = client.get(receipt_url(txn_id, f"?format={fmt}"))
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_a_refunds_receipts_say_what_it_refunds_with_its_memo(alice, bob, client_for, tmp_path):
    paid = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("30.00")).transaction
    refund = refund_create(transaction_id=paid.pk, user_id=bob.pk, amount=Decimal("7.50"),
                           description="One ticket unused").transaction
    produce(refund.pk)
    for client in (client_for(alice), client_for(bob)):  # both parties get them
        text = download(client, refund.pk, "txt").decode()
        assert f"Refund of transaction {paid.pk}" in text
        assert "One ticket unused" in text and "7.50 USD" in text
        shown = pdf_text(download(client, refund.pk, "pdf"), tmp_path)
        assert f"Refund of transaction {paid.pk}" in " ".join(shown.split())
        assert "One ticket unused" in shown
    rows = shown_rows(download(client_for(bob), refund.pk, "pdf"))
    assert rows["Kind"] == [f"Refund of transaction {paid.pk}"]
    assert rows["Description"] == ["One ticket unused"]


def test_a_deposit_reversals_receipt_gives_the_reason_and_no_receiver(bob, client_for, tmp_path):
    deposit = deposit_create(user_id=bob.pk, amount=Decimal("40.00")).transaction
    reversal = reversal_create(transaction_id=deposit.pk, reason="Card payment charged back").transaction
    produce(reversal.pk)
    rows = shown_rows(download(client_for(bob), reversal.pk, "pdf"))
    assert rows["Kind"] == [f"Reversal of transaction {deposit.pk}"]
    assert rows["Reason"] == ["Card payment charged back"]
    assert rows["Receiver"] == ["(reversal: back outside the system)"]
    text = download(client_for(bob), reversal.pk, "txt").decode()
    assert f"Reversal of transaction {deposit.pk}" in text and "Card payment charged back" in text
