"""The receipt download: files for the two parties, 409 until ready, a lost file rendered again."""
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.receipts.exceptions import ReceiptPending
from apps.receipts.models import Receipt
from apps.receipts.rendering import receipt_number
from apps.wallets.services import transfer_create
from tests.support.receipt_helpers import media_files, produce, receipt_url

PENDING_BODY = {"code": "receipt_pending", "message": ReceiptPending.message, "details": None}


@pytest.mark.django_db
def test_parties_download_pdf_and_text(transfer, alice, bob, client_for):
    produce(transfer.pk)
    number = receipt_number(transaction_id=transfer.pk, created_at=transfer.created_at)
    for user in (alice, bob):
        pdf = client_for(user).get(receipt_url(transfer.pk), HTTP_ACCEPT="application/pdf")
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert f'filename="{number}.pdf"' in pdf["Content-Disposition"]
        assert pdf.getvalue().startswith(b"%PDF")
        txt = client_for(user).get(receipt_url(transfer.pk, "?format=txt"))
        assert txt.status_code == 200
        assert txt["Content-Type"].startswith("text/plain")
        body = txt.getvalue().decode()
        assert number in body and "12.34" in body


OCTET = "application/octet-stream"
OWN_TYPES = {"pdf": "application/pdf", "txt": "text/plain; charset=utf-8"}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "txt"])
def test_accept_decides_between_the_files_type_and_octet_stream(transfer, alice, client_for, settings, fmt):
    ready = produce(transfer.pk)
    stored = (Path(settings.MEDIA_ROOT) / (ready.pdf_path if fmt == "pdf" else ready.txt_path)).read_bytes()
    own = OWN_TYPES[fmt]
    bare = own.split(";")[0]
    answers = {  # Accept (None: no header) -> the Content-Type answered
        OCTET: OCTET,
        f"{bare};q=0.5, {OCTET}": OCTET,
        "*/*": own,
        None: own,
        bare: own,
        f"{OCTET};q=0.5, {bare}": own,
        "text/html, application/json": own,  # neither: the file's type, never a 406
    }
    client, url = client_for(alice), receipt_url(transfer.pk, f"?format={fmt}")
    for accept, content_type in answers.items():
        response = client.get(url, **({} if accept is None else {"HTTP_ACCEPT": accept}))
        assert response.status_code == 200, accept
        assert response["Content-Type"] == content_type, accept
        assert response.getvalue() == stored, accept  # the same bytes, whatever the type says
        assert response["Content-Disposition"].endswith(f'.{fmt}"'), accept
        assert "Accept" in response["Vary"], accept


@pytest.mark.django_db
def test_receipt_of_someone_elses_transaction_is_404(transfer, make_user, client_for):
    produce(transfer.pk)
    outsider = client_for(make_user())
    for url in (receipt_url(transfer.pk), receipt_url(transfer.pk, "?format=txt"), receipt_url(999999)):
        response = outsider.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_pending_receipt_is_409(transfer, alice, bob, client_for):
    response = client_for(alice).get(receipt_url(transfer.pk))
    assert (response.status_code, response.json()) == (409, PENDING_BODY)
    assert response["Retry-After"] == "1"
    assert client_for(bob).get(receipt_url(transfer.pk, "?format=txt")).status_code == 409


@pytest.mark.django_db
def test_failed_receipt_is_409_until_an_operator_renders_it_again(transfer, alice, client_for):
    Receipt.objects.filter(pk=transfer.pk).update(status="failed", attempts=6, last_error="boom")
    assert client_for(alice).get(receipt_url(transfer.pk)).status_code == 409
    assert Receipt.objects.get(pk=transfer.pk).status == "failed"  # a download does not retry it
    call_command("rerender_receipts", "--failed")
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert (receipt.status, receipt.attempts) == ("pending", 0)
    assert produce(transfer.pk).status == "ready"
    assert client_for(alice).get(receipt_url(transfer.pk)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?format=docx", "?format=PDF", "?format=json", "?page=2"])
def test_bad_receipt_query_is_400(transfer, alice, client_for, query):
    produce(transfer.pk)
    response = client_for(alice).get(receipt_url(transfer.pk, query))
    assert response.status_code == 400
    assert response.json()["code"] in ("invalid_input", "unknown_field")


@pytest.mark.django_db
def test_receipt_needs_authentication(transfer, api):
    assert api.get(receipt_url(transfer.pk)).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "txt"])
def test_deleted_receipt_file_is_409_then_rendered_again(transfer, alice, bob, client_for, settings, fmt):
    ready = produce(transfer.pk)
    lost = ready.pdf_path if fmt == "pdf" else ready.txt_path
    original = (Path(settings.MEDIA_ROOT) / lost).read_bytes()
    default_storage.delete(lost)

    response = client_for(bob).get(receipt_url(transfer.pk, f"?format={fmt}"))
    assert (response.status_code, response.json()) == (409, PENDING_BODY)
    receipt = Receipt.objects.get(pk=transfer.pk)
    assert receipt.status == "pending" and "lost" in receipt.last_error
    history = client_for(alice).get(f"/api/transactions/{transfer.pk}/").json()
    assert history["receipt"] == {"status": "pending", "url": None}
    again = client_for(alice).get(receipt_url(transfer.pk, f"?format={fmt}"))
    assert (again.status_code, again.json()) == (409, PENDING_BODY)

    receipt = produce(transfer.pk)
    assert receipt.status == "ready" and receipt.last_error == ""
    assert media_files(settings) == sorted(
        p for t in Receipt.objects.all() for p in (t.pdf_path, t.txt_path) if p)
    download = client_for(bob).get(receipt_url(transfer.pk, f"?format={fmt}"))
    assert download.status_code == 200
    assert download.getvalue() == original  # deterministic: the same file


@pytest.mark.django_db
def test_transaction_whose_receipt_row_is_missing_is_owed_by_its_download(transfer, alice, client_for):
    Receipt.objects.filter(pk=transfer.pk).delete()
    response = client_for(alice).get(receipt_url(transfer.pk))
    assert (response.status_code, response.json()) == (409, PENDING_BODY)
    assert Receipt.objects.get(pk=transfer.pk).status == "pending"
    assert produce(transfer.pk).status == "ready"
    assert client_for(alice).get(receipt_url(transfer.pk)).status_code == 200


@pytest.mark.django_db
def test_rerender_command_finds_receipts_whose_files_are_gone(transfer, alice, capsys):
    kept, lost = produce(transfer.pk), Receipt.objects.exclude(pk=transfer.pk).get()
    produce(lost.pk)
    default_storage.delete(Receipt.objects.get(pk=lost.pk).txt_path)
    call_command("rerender_receipts", "--missing-files")
    assert "1 receipt(s) owed again" in capsys.readouterr().out
    assert Receipt.objects.get(pk=lost.pk).status == "pending"
    assert Receipt.objects.get(pk=kept.pk).status == "ready"
    call_command("rerender_receipts", str(kept.pk))
    assert Receipt.objects.get(pk=kept.pk).status == "pending"


def test_rerender_command_needs_something_to_do():
    with pytest.raises(CommandError, match="Name transaction ids"):
        call_command("rerender_receipts")


@pytest.mark.django_db
def test_history_shows_receipt_state_in_one_query(alice, bob, client_for):
    txns = [transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal(i)).transaction
            for i in (1, 2, 3)]
    produce(txns[0].pk)
    Receipt.objects.filter(pk__in=[t.pk for t in txns[1:]]).update(status="pending")
    client = client_for(alice)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/transactions/")
    assert response.status_code == 200
    assert len(ctx.captured_queries) == 1, [q["sql"] for q in ctx.captured_queries]
    by_id = {item["id"]: item["receipt"] for item in response.data["results"]}
    assert by_id[txns[1].pk] == {"status": "pending", "url": None}
    ready = by_id[txns[0].pk]
    assert ready["status"] == "ready"
    assert ready["url"] == f"http://testserver{receipt_url(txns[0].pk)}"
    assert client.get(ready["url"]).status_code == 200
    assert client.get(f"/api/transactions/{txns[0].pk}/").data["receipt"]["status"] == "ready"
