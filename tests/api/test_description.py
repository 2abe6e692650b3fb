"""The memo of a transfer or a deposit: validated, stored, shown everywhere, printed on receipts."""
import re
import unicodedata

import pytest

from apps.receipts.rendering import render_pdf, render_pdf_canvas, render_text
from apps.transactions.descriptions import DESCRIPTION_PATTERN, bidi_controls, control_characters
from apps.transactions.models import Transaction
from tests.support.receipt_helpers import produce, receipt, shown_rows

pytestmark = pytest.mark.django_db
TRANSFER, DEPOSIT, HISTORY = "/api/wallet/transfer/", "/api/wallet/deposit/", "/api/transactions/"


def send(client, receiver, description=None, **headers):
    body = {"receiver_id": receiver.pk, "amount": "5.00"}
    if description is not None:
        body["description"] = description
    return client.post(TRANSFER, body, format="json", **headers)


def test_a_transfer_carries_its_description_everywhere(alice, bob, client_for, admin_client):
    response = send(client_for(alice), bob, "  Dinner, Friday 🍝  ")
    assert response.status_code == 201, response.data
    txn_id = response.data["transaction"]["id"]
    assert response.data["transaction"]["description"] == "Dinner, Friday 🍝"  # trimmed
    assert Transaction.objects.get(pk=txn_id).description == "Dinner, Friday 🍝"
    for user in (alice, bob):  # both parties see it, in the history and the detail
        assert client_for(user).get(HISTORY).data["results"][0]["description"] == "Dinner, Friday 🍝"
        assert client_for(user).get(f"{HISTORY}{txn_id}/").data["description"] == "Dinner, Friday 🍝"
    listing = admin_client.get("/admin/transactions/transaction/")
    assert "Dinner, Friday 🍝" in listing.content.decode()
    assert "Dinner, Friday 🍝" in admin_client.get(f"/admin/transactions/transaction/{txn_id}/change/") \
        .content.decode()


def test_without_a_description_it_is_empty(alice, bob, client_for):
    for description in (None, "", "   "):
        response = send(client_for(alice), bob, description)
        assert response.status_code == 201, response.data
        assert response.data["transaction"]["description"] == ""


@pytest.mark.parametrize("text", ["Miete «März»", "Оплата за обед", "مريم: إيجار", "午餐费 ランチ 점심",
                                  "राम को धन्यवाद", "ሰላም", "a" * 140, " " * 5 + "b" * 140 + " " * 5])
def test_any_script_up_to_140_characters_after_trimming(alice, bob, client_for, text):
    response = send(client_for(alice), bob, text)
    assert response.status_code == 201, response.data
    assert response.data["transaction"]["description"] == text.strip()


@pytest.mark.parametrize(("text", "message"), [
    ("a" * 141, "Ensure this field has no more than 140 characters."),
    ("line\nbreak", "Control characters and line breaks are not allowed: <U+000A>."),
    ("tab\there", "Control characters and line breaks are not allowed: <U+0009>."),
    ("nul\x00", "Control characters and line breaks are not allowed: <U+0000>."),
    ("c1\x85c", "Control characters and line breaks are not allowed: <U+0085>."),
    ("para\u2029graph", "Control characters and line breaks are not allowed: <U+2029>."),
    ("invoice \u202egpj.exe", "Bidirectional controls are not allowed: <U+202E>."),
    ("\u2066isolated\u2069 \u200f", "Bidirectional controls are not allowed: <U+2066>, <U+2069>, <U+200F>."),
])
def test_too_long_or_control_characters_are_refused(alice, bob, client_for, text, message):
    response = send(client_for(alice), bob, text)
    assert response.status_code == 400
    assert response.data["code"] == "invalid_input"
    assert [e["message"] for e in response.data["details"]["description"]] == [message]
    assert not Transaction.objects.filter(kind="transfer").exists()


def test_joiners_are_kept_and_combining_marks_composed(alice, bob, client_for):
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a zero-width non-joiner inside
    response = send(client_for(alice), bob, f"Cafe\u0301 {persian}")
    assert response.status_code == 201, response.data
    assert response.data["transaction"]["description"] == f"Caf\u00e9 {persian}"


def test_a_description_that_is_not_a_string_is_refused(alice, bob, client_for):
    response = client_for(alice).post(TRANSFER, {"receiver_id": bob.pk, "amount": "5.00", "description": 7},
                                      format="json")
    assert response.status_code == 400
    assert "description" in response.data["details"]


def test_the_idempotency_key_covers_the_description(alice, bob, client_for):
    client = client_for(alice)
    first = send(client, bob, "rent", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = send(client, bob, "  rent ", HTTP_IDEMPOTENCY_KEY="k-1")  # the same memo once trimmed
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data
    other = send(client, bob, "rent for May", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and other.data["code"] == "idempotency_key_reused"
    # No memo and an empty one are the same body.
    assert send(client, bob, None, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert send(client, bob, "", HTTP_IDEMPOTENCY_KEY="k-2").headers["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(kind="transfer").count() == 2


def test_staff_deposit_takes_a_description(make_user, bob, client_for):
    staff = make_user(username="staff", is_staff=True)
    response = client_for(staff).post(DEPOSIT, {"user_id": bob.pk, "amount": "20.00",
                                                "description": "top-up by card"}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["transaction"]["description"] == "top-up by card"
    assert client_for(bob).get(HISTORY).data["results"][0]["description"] == "top-up by card"


def test_both_receipts_print_the_description(alice, bob, client_for, settings):
    from django.core.files.storage import default_storage

    txn_id = send(client_for(alice), bob, "Dinner, Friday").data["transaction"]["id"]
    receipt = produce(txn_id)
    text = default_storage.open(receipt.txt_path).read().decode()
    assert text.splitlines()[-1] == "Description:     Dinner, Friday"
    assert shown_rows(default_storage.open(receipt.pdf_path).read())["Description"] == ["Dinner, Friday"]


def test_no_description_no_row():
    text = render_text(receipt())
    assert b"Description" not in text
    assert text.endswith(b"Amount:          12.34 USD\n")
    assert "Description" not in shown_rows(render_pdf(receipt()))


@pytest.mark.parametrize("description", [
    "Dinner, Friday (split) \\ 50%",
    "word " * 28,  # 140 characters: wraps onto several lines
    "x" * 140,  # one long word
    "Оплата за обед, спасибо! " * 5,
    "午餐费" * 40,
    "مريم: إيجار شهر مايو",
])
def test_the_pdf_wraps_a_long_description_and_prints_it_whole(description):
    description = description.strip()
    data = receipt(description=description)
    pdf = render_pdf(data)
    assert pdf == render_pdf_canvas(data)
    shown = shown_rows(pdf)["Description"]
    if len(description) > 60:
        assert len(shown) > 1  # wrapped inside the page
    if unicodedata.bidirectional(description[0]) not in ("R", "AL"):  # left to right: read back as is
        assert "".join(shown).replace(" ", "") == description.replace(" ", "")
    assert render_text(data).decode().splitlines()[-1] == f"{'Description:':<16} {description}"


def test_characters_no_receipt_font_draws_print_as_code_points():
    text = render_text(receipt(description="pay \U0001f355 and \u200b"))
    assert text.decode().splitlines()[-1] == "Description:     pay <U+1F355> and <U+200B>"


def test_the_schema_pattern_refuses_exactly_what_the_field_refuses():
    """Surrogates aside (no text holds one; the field refuses a lone one that a JSON escape sends)."""
    pattern = re.compile(DESCRIPTION_PATTERN)
    chars = (chr(cp) for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)
    disagree = [f"U+{ord(c):04X}" for c in chars
                if bool(pattern.fullmatch(c)) == bool(control_characters(c) or bidi_controls(c))]
    assert disagree == []
