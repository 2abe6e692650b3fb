"""The receipt download service called directly: what it hands over and what it refuses."""
import pytest
from django.core.files.storage import default_storage
from django.http import Http404

from apps.receipts.exceptions import ReceiptLost, ReceiptPending
from apps.receipts.models import Receipt
from apps.receipts.services import receipt_download
from tests.support.receipt_helpers import produce

pytestmark = pytest.mark.django_db


def test_a_ready_receipt_is_handed_over_in_either_format(transfer, alice, bob):
    produce(transfer.pk)
    pdf = receipt_download(user_id=alice.pk, transaction_id=transfer.pk, fmt="pdf")
    assert (pdf.content_type, pdf.filename[-4:], pdf.file.read()[:5]) == ("application/pdf", ".pdf", b"%PDF-")
    txt = receipt_download(user_id=bob.pk, transaction_id=transfer.pk, fmt="txt")
    assert (txt.content_type, txt.filename[-4:]) == ("text/plain; charset=utf-8", ".txt")
    assert f"Transaction id:  {transfer.pk}\n" in txt.file.read().decode()


def test_a_receipt_not_rendered_yet_is_pending(transfer, alice):
    with pytest.raises(ReceiptPending) as refused:
        receipt_download(user_id=alice.pk, transaction_id=transfer.pk, fmt="pdf")
    assert refused.value.code == "receipt_pending"
    assert Receipt.objects.get(pk=transfer.pk).status == Receipt.Status.PENDING


def test_a_lost_file_is_owed_again_and_answers_pending(transfer, alice):
    receipt = produce(transfer.pk)
    default_storage.delete(receipt.pdf_path)
    with pytest.raises(ReceiptLost) as refused:
        receipt_download(user_id=alice.pk, transaction_id=transfer.pk, fmt="pdf")
    assert refused.value.code == "receipt_pending"  # the same 409 as a receipt still on its way
    receipt.refresh_from_db()
    assert (receipt.status, receipt.attempts) == (Receipt.Status.PENDING, 0)
    assert produce(transfer.pk).status == Receipt.Status.READY  # and the relay renders it again


def test_anyone_but_the_two_parties_gets_not_found(transfer, make_user):
    produce(transfer.pk)
    with pytest.raises(Http404):
        receipt_download(user_id=make_user().pk, transaction_id=transfer.pk, fmt="pdf")
