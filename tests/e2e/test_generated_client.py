"""A client generated from schema.yml works against the real server, as a mobile or web team's would.

openapi-python-client (pinned in requirements-dev.txt) generates the client from
the committed schema alone, with its default settings (only its formatting hooks
are off), offline, failing on any warning; the package is imported from a
temporary folder and drives a live server through registration, tokens, a
deposit, a transfer (and its replay), history pages, one transaction, its
receipt and logout. Every answer must be parsed into the documented model (a
parse error raises), and both receipt files, the PDF and the text, come back
byte for byte as storage holds them.
"""
import enum
import importlib
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.files.storage import default_storage

from apps.receipts.models import Receipt
from apps.receipts.tasks import receipts_relay
from tests.support.factories import DEFAULT_PASSWORD

BASE = Path(settings.BASE_DIR)
PACKAGE = "wallet_api_client"
PASSWORD = DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    # No formatter: the code is imported, not read, and nothing is fetched. Nothing else is set:
    # the schema alone must give a working client.
    (root / "config.yml").write_text(yaml.safe_dump({"post_hooks": []}))
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(BASE / "schema.yml"),
         "--config", str(root / "config.yml"), "--meta", "none", "--output-path", str(root / PACKAGE),
         "--fail-on-warning"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _api(module: str):
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def _cursor_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_generated_client_drives_the_api(client_package, live_server, make_user):
    models = importlib.import_module(f"{PACKAGE}.models")
    file_type = importlib.import_module(f"{PACKAGE}.types").File
    register, token = _api("auth.auth_register"), _api("auth.auth_token_create")
    refresh, verify = _api("auth.auth_token_refresh_create"), _api("auth.auth_token_verify_create")
    logout, users_me = _api("auth.auth_logout"), _api("users.users_me")
    wallet_me, transfer = _api("wallet.wallet_me"), _api("wallet.wallet_transfer")
    deposit = _api("wallet.wallet_deposit")
    history, detail = _api("transactions.transactions_list"), _api("transactions.transactions_retrieve")
    receipt = _api("transactions.transaction_receipt")
    make_user(username="teller", is_staff=True)

    # An undocumented status raises: every answer below is one the schema describes.
    anonymous = client_package.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def signed_in(access: str):
        return client_package.AuthenticatedClient(base_url=live_server.url, token=access,
                                                  raise_on_unexpected_status=True)

    # Accounts and tokens.
    created = register.sync_detailed(client=anonymous, body=models.RegisterInputRequest(
        username="alice", password=PASSWORD, email="alice@example.com"))
    assert created.status_code == 201
    assert isinstance(created.parsed, models.UserOutput) and created.parsed.username == "alice"
    bob = register.sync(client=anonymous, body=models.RegisterInputRequest(username="bob", password=PASSWORD))
    assert isinstance(bob, models.UserOutput) and bob.email == ""
    taken = register.sync_detailed(client=anonymous, body=models.RegisterInputRequest(
        username="Alice", password=PASSWORD))
    assert taken.status_code == 400 and isinstance(taken.parsed, models.Error)
    assert taken.parsed.code == "username_taken"

    pair = token.sync(client=anonymous, body=models.TokenObtainPairRequest(
        username="alice", password=PASSWORD))
    assert isinstance(pair, models.TokenPair)
    pair = refresh.sync(client=anonymous, body=models.TokenRefreshRequest(refresh=pair.refresh))
    assert isinstance(pair, models.TokenPair)
    valid = verify.sync_detailed(client=anonymous, body=models.TokenVerifyRequest(token=pair.access))
    assert valid.status_code == 200
    alice = signed_in(pair.access)
    teller_pair = token.sync(client=anonymous, body=models.TokenObtainPairRequest(
        username="teller", password=DEFAULT_PASSWORD))
    teller = signed_in(teller_pair.access)
    me = users_me.sync(client=alice)
    assert isinstance(me, models.UserOutput) and me.id == created.parsed.id

    # Money: a deposit, a transfer, its replay, a refusal.
    funded = deposit.sync_detailed(client=teller, idempotency_key="fund-alice-1",
                                   body=models.DepositInputRequest(user_id=me.id, amount="100.00"))
    assert funded.status_code == 201 and isinstance(funded.parsed, models.MovementOutput)
    assert funded.parsed.balance == "100.00"
    sent = transfer.sync_detailed(client=alice, idempotency_key="order-1", body=models.TransferInputRequest(
        receiver_id=bob.id, amount="30.25"))
    assert sent.status_code == 201 and isinstance(sent.parsed, models.MovementOutput)
    movement = sent.parsed.transaction
    assert (movement.kind, movement.sender_id, movement.amount) == ("transfer", me.id, "30.25")
    assert isinstance(movement.kind, enum.Enum)
    replayed = transfer.sync_detailed(client=alice, idempotency_key="order-1",
                                      body=models.TransferInputRequest(receiver_id=bob.id, amount="30.25"))
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.parsed.transaction.id == movement.id
    refused = transfer.sync_detailed(client=alice, body=models.TransferInputRequest(
        receiver_id=bob.id, amount="1000.00"))
    assert refused.status_code == 400 and isinstance(refused.parsed, models.Error)
    assert refused.parsed.code == "insufficient_funds"
    wallet = wallet_me.sync(client=alice)
    assert isinstance(wallet, models.WalletOutput) and wallet.balance == "69.75"

    # History: a page, the next one, a filtered one; one transaction.
    first = history.sync(client=alice, page_size=1)
    assert isinstance(first, models.PaginatedHistoryItemList) and first.previous is None
    (newest,) = first.results
    assert isinstance(newest, models.HistoryItem)
    assert (newest.id, newest.kind, newest.direction) == (movement.id, "transfer", "sent")
    assert newest.amount == "30.25"
    assert isinstance(newest.direction, enum.Enum) and newest.receiver.username == "bob"
    second = history.sync(client=alice, page_size=1, cursor=_cursor_of(first.next_))
    assert [(i.kind, i.amount, i.sender) for i in second.results] == [("deposit", "100.00", None)]
    assert second.next_ is None and isinstance(second.previous, str)
    filtered = history.sync(client=alice, min_amount="30.25", max_amount="30.25")
    assert [i.id for i in filtered.results] == [movement.id]
    one = detail.sync(client=alice, id=movement.id)
    assert isinstance(one, models.HistoryItem) and one.receipt.status == "pending" and one.receipt.url is None

    # The receipt: 409 until rendered, then the exact bytes storage holds.
    pending = receipt.sync_detailed(client=alice, id=movement.id)
    assert pending.status_code == 409 and isinstance(pending.parsed, models.Error)
    assert pending.parsed.code == "receipt_pending" and pending.headers["Retry-After"] == "1"
    receipts_relay()
    stored = Receipt.objects.get(transaction_id=movement.id)
    for fmt, path in (("pdf", stored.pdf_path), ("txt", stored.txt_path)):
        downloaded = receipt.sync_detailed(client=alice, id=movement.id,
                                           format_=models.TransactionReceiptFormat(fmt))
        assert downloaded.status_code == 200 and isinstance(downloaded.parsed, file_type), fmt
        assert isinstance(downloaded.parsed.payload, BytesIO)
        with default_storage.open(path, "rb") as held:
            assert downloaded.parsed.payload.read() == held.read(), fmt
    assert detail.sync(client=alice, id=movement.id).receipt.status == "ready"

    # A refund of part of it by bob, linked both ways; a hold that bob captures in part.
    bob_client = signed_in(token.sync(client=anonymous, body=models.TokenObtainPairRequest(
        username="bob", password=PASSWORD)).access)
    refund = _api("transactions.transaction_refund")
    refunded = refund.sync_detailed(client=bob_client, id=movement.id, idempotency_key="refund-1",
                                    body=models.RefundInputRequest(amount="5.25", description="Returned"))
    assert refunded.status_code == 201 and isinstance(refunded.parsed, models.MovementOutput)
    back = refunded.parsed.transaction
    assert (back.kind, back.original_id) == ("refund", movement.id)
    original = detail.sync(client=alice, id=movement.id)
    assert (original.returned_amount, original.returned_by) == ("5.25", [back.id])
    too_much = refund.sync_detailed(client=bob_client, id=movement.id,
                                    body=models.RefundInputRequest(amount="25.01"))
    assert too_much.status_code == 409 and too_much.parsed.code == "amount_exceeds_remaining"
    hold_create, hold_capture = _api("holds.hold_create"), _api("holds.hold_capture")
    held = hold_create.sync(client=alice, body=models.HoldCreateInputRequest(payee_id=bob.id, amount="10.00"))
    assert isinstance(held, models.HoldOutput) and held.status == "active"
    assert (wallet_me.sync(client=alice).held, wallet_me.sync(client=alice).available) == ("10.00", "65.00")
    taken = hold_capture.sync(client=bob_client, id=held.id,
                              body=models.HoldCaptureInputRequest(amount="4.00"))
    assert isinstance(taken, models.HoldOutput)
    assert (taken.status, taken.captured_amount) == ("captured", "4.00")
    assert (wallet_me.sync(client=alice).balance, wallet_me.sync(client=alice).held) == ("71.00", "0.00")

    # Logout: the refresh token is dead.
    out = logout.sync_detailed(client=alice, body=models.LogoutInputRequest(refresh=pair.refresh))
    assert out.status_code == 204
    dead = refresh.sync_detailed(client=anonymous, body=models.TokenRefreshRequest(refresh=pair.refresh))
    assert dead.status_code == 401 and isinstance(dead.parsed, models.Error)
    assert dead.parsed.code == "token_not_valid"
