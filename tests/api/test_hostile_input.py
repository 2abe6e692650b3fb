"""Hostile request bodies on the two endpoints that move money.

Every case must be refused with 400 and a stable code, and leave every
balance, transaction, ledger entry and idempotency key exactly as it was.
"""
import io
import json
from decimal import Decimal

import pytest
from django.conf import settings

from apps.core.exceptions import RequestTooLarge
from apps.core.models import IdempotencyKey
from apps.core.parsers import DecimalJSONParser
from apps.transactions.models import LedgerEntry, Transaction
from apps.wallets.models import Wallet

pytestmark = pytest.mark.django_db
JSON = "application/json"
TARGET = "__target__"  # replaced by the real receiving user's id
TARGET_AS_STRING = "__target_as_string__"  # ... and by that id as a JSON string


def amount_cases():
    bad_amounts = {
        "negative": "-0.01", "zero": "0", "three_places": "0.001", "exponent": "1e2", "nan": "NaN",
        "infinity": "Infinity", "minus_infinity": "-Infinity", "forty_digits": "1" * 40, "empty": "",
        "null": None, "true": True, "list": [], "object": {}, "number_negative": Decimal("-0.01"),
        "number_zero": 0, "number_three_places": Decimal("0.001"), "number_forty_digits": 10**39,
        "whitespace": "   ", "comma": "1,00", "hex": "0x10", "plus": "+1.00", "unicode_digits": "\u0661",
        # Amounts are JSON strings only: a well-formed number is refused too, and so are spellings
        # that a Decimal would read (zero with places, padding, leading zeros).
        "number_valid": Decimal("1.00"), "int_valid": 1, "zero_places": "0.00", "padded": " 1.00 ",
        "leading_zero": "01.00",
    }
    for name, amount in bad_amounts.items():
        yield f"amount_{name}", {"id": TARGET, "amount": amount}, JSON, "invalid_amount"


def id_cases():
    bad_ids = {"string": "1", "float": 1.5, "negative": -1, "zero": 0, "too_big": 2**63, "null": None,
               "true": True, "list": [1], "object": {"id": 1}, "string_of_real_id": TARGET_AS_STRING}
    for name, value in bad_ids.items():
        yield f"id_{name}", {"id": value, "amount": "1.00"}, JSON, "invalid_input"


def raw_cases():
    yield "missing_id", {"amount": "1.00"}, JSON, "invalid_input"
    yield "missing_amount", {"id": TARGET}, JSON, "invalid_amount"
    yield "missing_everything", {}, JSON, "invalid_amount"  # amount's code wins
    yield "unknown_field_sender", {"id": TARGET, "amount": "1.00", "sender_id": 1}, JSON, "unknown_field"
    yield "unknown_field_wallet", {"id": TARGET, "amount": "1.00", "from_wallet": 1}, JSON, "unknown_field"
    yield "not_json", b"receiver_id=2&amount=1.00", JSON, "parse_error"
    yield "truncated_json", b'{"amount": "1.00", ', JSON, "parse_error"
    yield "nan_literal", b'{"amount": NaN, "id": 1}', JSON, "parse_error"
    yield "infinity_literal", b'{"amount": Infinity, "id": 1}', JSON, "parse_error"
    yield "invalid_utf8", b'{"amount": "\xff\xfe"}', JSON, "parse_error"
    yield "deeply_nested", b"[" * 5000 + b"]" * 5000, JSON, "parse_error"
    yield "json_list", b"[]", JSON, "invalid_input"
    yield "json_string", b'"transfer"', JSON, "invalid_input"
    yield "json_number", b"1", JSON, "invalid_input"
    yield "json_null", b"null", JSON, "invalid_input"
    yield "empty_body", b"", JSON, "invalid_amount"
    yield "form_content_type", b"receiver_id=2&amount=1.00", "application/x-www-form-urlencoded", \
        "unsupported_media_type"
    yield "text_content_type", b'{"amount": "1.00"}', "text/plain", "unsupported_media_type"
    yield "xml_content_type", b"<amount>1</amount>", "application/xml", "unsupported_media_type"
    yield "oversized", {"id": TARGET, "amount": "1.00", "pad": "x" * 20_000}, JSON, "request_too_large"


CASES = [*amount_cases(), *id_cases(), *raw_cases()]
ENDPOINTS = {
    "transfer": ("/api/wallet/transfer/", "receiver_id"),
    "deposit": ("/api/wallet/deposit/", "user_id"),
}


def _snapshot():
    return (
        sorted(Wallet.objects.values_list("user_id", "balance")),
        Transaction.objects.count(),
        LedgerEntry.objects.count(),
        IdempotencyKey.objects.count(),
    )


def _dump(body: dict) -> bytes:
    # Decimals go out as JSON numbers, exactly as written.
    text = json.dumps(body, default=lambda d: f"@@{d}@@")
    return text.replace('"@@', "").replace('@@"', "").encode()


@pytest.fixture
def parties(make_user, client_for):
    staff = make_user(username="staff", balance="100.00", is_staff=True)
    receiver = make_user(username="receiver", balance="5.00")
    return {"client": client_for(staff), "receiver": receiver}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize(("name", "body", "content_type", "code"), CASES, ids=[c[0] for c in CASES])
def test_hostile_body_is_refused_and_changes_nothing(parties, endpoint, name, body, content_type, code):
    url, id_field = ENDPOINTS[endpoint]
    if isinstance(body, dict):
        rendered = {}
        for key, value in body.items():
            if value == TARGET:
                value = parties["receiver"].pk
            elif value == TARGET_AS_STRING:
                value = str(parties["receiver"].pk)
            rendered[id_field if key == "id" else key] = value
        raw = _dump(rendered)
    else:
        raw = body
    before = _snapshot()

    response = parties["client"].generic("POST", url, raw, content_type=content_type,
                                         HTTP_IDEMPOTENCY_KEY=f"hostile-{name}")

    assert response.status_code == 400, (raw[:200], response.content[:300])
    payload = response.json()
    assert payload["code"] == code, payload
    assert set(payload) == {"code", "message", "details"}
    assert _snapshot() == before


def test_sanity_the_same_client_can_move_money(parties):
    """The fixtures are not broken: a well-formed body goes through."""
    response = parties["client"].post("/api/wallet/transfer/",
                                      {"receiver_id": parties["receiver"].pk, "amount": "1.00"},
                                      format="json")
    assert response.status_code == 201


def test_parser_stops_reading_an_undeclared_oversized_stream(rf):
    """Without a Content-Length (chunked upload) the parser still reads at most limit + 1 bytes."""
    limit = settings.API_MAX_BODY_BYTES
    stream = io.BytesIO(b"[" + b"1," * limit + b"1]")
    request = rf.post("/", content_type=JSON)
    request.META.pop("CONTENT_LENGTH", None)
    with pytest.raises(RequestTooLarge):
        DecimalJSONParser().parse(stream, JSON, {"request": request})
    assert stream.tell() == limit + 1


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_chunked_body_without_content_length_is_refused_and_changes_nothing(parties, endpoint):
    """How a chunked upload reaches Django (no Content-Length): refused, never read as an empty body."""
    url, id_field = ENDPOINTS[endpoint]
    before = _snapshot()
    body = json.dumps({id_field: parties["receiver"].pk, "amount": "1.00"}).encode()
    response = parties["client"].generic("POST", url, body, content_type=JSON,
                                         HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")
    assert response.status_code == 400
    assert response.json() == {"code": "length_required", "details": None,
                               "message": response.json()["message"]}
    assert _snapshot() == before


def test_a_chunked_header_on_a_read_is_not_refused(parties):
    response = parties["client"].get("/api/wallet/me/", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 200
