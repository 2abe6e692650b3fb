"""A registered name prints on its receipts, in the PDF as in the text; a name that cannot print is refused.

Through the API: registration, a transfer, the relay that renders the receipt,
and both downloads.
"""
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from apps.wallets.services import transfer_create
from tests.support.factories import DEFAULT_PASSWORD
from tests.support.receipt_helpers import assert_prints_as, produce, receipt_url, shown_name, shown_rows

User = get_user_model()
pytestmark = pytest.mark.django_db


def register(api, username: str):
    body = {"username": username, "password": DEFAULT_PASSWORD}
    return api.post("/api/auth/register/", body, format="json")


@pytest.mark.parametrize("username", [
    "Zoë_Łukasz-Żółć", "Nguyễn.Văn", "Иван_Петров", "Ελένη", "مريم_الأحمد", "דוד_כהן", "李雷_u1",
    "やまだ山田", "김민준", "ḃ" * 150,
])
def test_a_registered_name_prints_on_the_receipt_as_in_the_text(api, alice, client_for, username):
    response = register(api, username)
    assert response.status_code == 201, response.data
    user = User.objects.get(pk=response.data["id"])
    txn = transfer_create(sender_id=alice.pk, receiver_id=user.pk, amount=Decimal("1.50")).transaction
    assert produce(txn.pk).status == "ready"

    client = client_for(user)
    text = client.get(receipt_url(txn.pk, "?format=txt")).getvalue().decode()
    pdf = client.get(receipt_url(txn.pk), HTTP_ACCEPT="application/pdf").getvalue()
    assert f"Receiver:        {username} (user id {user.pk})\n" in text
    assert "Status:          Completed\n" in text and "Amount:          1.50 USD\n" in text

    rows = shown_rows(pdf)
    assert_prints_as(shown_name(rows["Receiver"], user.pk), username)
    assert rows["Sender"] == [f"alice (user id {alice.pk})"]
    assert rows["Status"] == ["Completed"] and rows["Amount"] == ["1.50 USD"]


def test_registration_refuses_a_name_receipts_cannot_print(api):
    response = register(api, "रमन_1")  # Devanagari letters: word characters no receipt font has
    assert response.status_code == 400
    assert response.data["code"] == "username_unprintable"
    assert "र (U+0930), म (U+092E), न (U+0928)" in response.data["message"]
    assert response.data["details"]["username"][0]["code"] == "username_unprintable"
    assert not User.objects.filter(username="रमन_1").exists()


def test_the_configured_currency_and_issuer_are_printed(alice, bob, client_for, settings):
    settings.WALLET_CURRENCY, settings.RECEIPT_ISSUER = "EUR", "Acme Payments Ltd."
    txn = transfer_create(sender_id=alice.pk, receiver_id=bob.pk, amount=Decimal("2")).transaction
    produce(txn.pk)
    pdf = client_for(bob).get(receipt_url(txn.pk), HTTP_ACCEPT="application/pdf").getvalue()
    rows = shown_rows(pdf)
    assert rows["Issued by"] == ["Acme Payments Ltd."] and rows["Amount"] == ["2.00 EUR"]
