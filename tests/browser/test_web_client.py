"""The web client at ``/`` in a real browser (headless Chromium), on a live server.

Every step goes through the page as a person would: fields and buttons are found
by their visible names, and what is checked is what the page shows, plus the
rows, balances and files behind it.
"""
import os
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from apps.core.money import amount_problem
from apps.receipts.models import Receipt
from apps.transactions.models import Transaction
from apps.users.services import user_create
from apps.wallets.holds import hold_create
from apps.wallets.services import deposit_create, transfer_create
from tests.support.background import REDIS_URL
from tests.support.browser import chromium, full_page_screenshot, needs_browser
from tests.support.factories import DEFAULT_PASSWORD, balance_of
from tests.support.http_proxy import AnswerLosingProxy
from tests.support.web_client_page import WebClient, signed_in

pytestmark = [pytest.mark.django_db(transaction=True), needs_browser]
PASSWORD = DEFAULT_PASSWORD


def _same_origin_only(page: WebClient) -> None:
    """No request left the server's origin: every URL the browser fetched over a network scheme
    is the live server's (``chrome://`` and ``data:`` are the browser's own widgets, such as the
    date picker, and never leave the machine)."""
    urls = page.requested_urls()
    network = [url for url in urls if url.split(":", 1)[0] in {"http", "https", "ws", "wss", "ftp"}]
    assert [url for url in network if not url.startswith(f"{page.base_url}/")] == []
    assert f"{page.base_url}/api/wallet/transfer/" in network  # the log did record the page's calls


def test_two_people_sign_up_send_browse_download_and_receive(live_server, background, tmp_path):
    background.start("worker", REDIS_URL)
    background.start("beat", REDIS_URL)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chromium(width=1280, height=1600, downloads=downloads) as driver:
        page = WebClient(driver, live_server.url)
        page.open()
        page.create_account("wc-alice", PASSWORD)
        page.sign_out()
        page.create_account("wc-bob", PASSWORD)
        bob_id = int(page.text_of("#my-user-id").lstrip("#"))
        page.sign_out()
        call_command("deposit", "wc-alice", "100.00")

        page.sign_in("wc-alice", PASSWORD)
        assert page.balance() == "$100.00"
        question = page.fill_payment("WC-Bob", "12.50", memo="Dinner, Friday")
        assert question == f"Send $12.50 to wc-bob (#{bob_id})?"
        page.click("Confirm")
        page.wait_for_text("#balance", "$87.50")
        assert "Your balance is now $87.50" in page.text_of("#notice")
        items = page.wait_history(lambda items: len(items) == 2, "the transfer never appeared")
        title, amount, _when, after, memo = items[0].split("\n")
        assert (title, amount, after, memo) == (f"To wc-bob (#{bob_id})", "\N{MINUS SIGN}$12.50",
                                                "Balance after: $87.50", "Dinner, Friday")
        assert items[1].startswith("Deposit\n+$100.00")

        page.open_filters()
        page.choose("Direction", "Received")
        page.click("Apply filters")
        page.wait_history(lambda items: len(items) == 1 and items[0].startswith("Deposit"),
                          "the received filter kept the transfer")
        page.choose("Direction", "Sent and received")
        page.type("Minimum amount", "12.50")
        page.type("Counterparty", "wc-bob")
        page.click("Apply filters")
        page.wait_history(lambda items: len(items) == 1 and items[0].startswith("To wc-bob"),
                          "the amount and counterparty filters did not find the transfer")
        page.click("Clear filters")
        page.wait_history(lambda items: len(items) == 2, "clearing the filters did not bring both back")
        tomorrow = timezone.localdate() + timedelta(days=1)  # the browser's time zone is the machine's
        page.field("From date").send_keys(tomorrow.strftime("%m%d%Y"))
        page.click("Apply filters")
        page.wait_for_text("#history-title ~ p[role=status]", "No transactions match these filters.")
        page.click("Clear filters")
        page.choose("Kind", "Transfers")
        page.field("To date").send_keys(timezone.localdate().strftime("%m%d%Y"))
        page.click("Apply filters")
        page.wait_history(lambda items: len(items) == 1 and items[0].startswith("To wc-bob"),
                          "the kind and date filters did not find the transfer")

        page.open_history_item(0)
        page.wait_for_text(".detail", "Dinner, Friday")
        assert "Balance after\n$87.50" in page.text_of(".detail")
        page.click("Download PDF receipt")
        name, pdf = page.downloaded(downloads, ".pdf")
        receipt = Receipt.objects.get(transaction__sender__username="wc-alice")
        with default_storage.open(receipt.pdf_path, "rb") as stored:
            assert pdf == stored.read()
        assert pdf.startswith(b"%PDF-") and name.endswith(".pdf")

        page.sign_out()
        # Both of alice's sessions (after creating the account, and now) were revoked through the API.
        alice_tokens = OutstandingToken.objects.filter(user__username="wc-alice")
        assert alice_tokens.count() == BlacklistedToken.objects.filter(token__in=alice_tokens).count() == 2

        page.sign_in("wc-bob", PASSWORD)
        assert page.balance() == "$12.50"
        items = page.wait_history(lambda items: len(items) == 1, "bob's history is empty")
        assert items[0].startswith("From wc-alice (#") and "+$12.50" in items[0]
        _same_origin_only(page)
        assert page.console_errors() == []


def test_an_expired_access_token_is_renewed_unnoticed_and_a_revoked_session_ends(
        live_server, make_user, monkeypatch):
    monkeypatch.setattr(AccessToken, "lifetime", timedelta(seconds=3))
    alice = make_user(username="carol", balance="20.00")
    bob = make_user(username="dave")
    with signed_in(live_server.url, "carol", DEFAULT_PASSWORD, width=1280, height=1200) as page:
        driver = page.driver
        driver.refresh()  # the session survives a reload of the tab
        assert page.balance() == "$20.00"
        tokens_at_sign_in = OutstandingToken.objects.filter(user=alice).count()

        time.sleep(3.5)  # the access token in memory has expired
        page.fill_payment("dave", "5.00")
        page.click("Confirm")
        page.wait_for_text("#balance", "$15.00")
        assert balance_of(bob) == Decimal("5.00")
        assert OutstandingToken.objects.filter(user=alice).count() > tokens_at_sign_in  # renewed on the way
        assert page.button("Sign out")

        for token in OutstandingToken.objects.filter(user=alice):  # revoked elsewhere
            BlacklistedToken.objects.get_or_create(token=token)
        time.sleep(3.5)
        page.open_filters()
        page.click("Apply filters")
        page.button("Sign in")
        assert page.alert_text() == "Your session has ended. Please sign in again."
        page.sign_in("carol", DEFAULT_PASSWORD)
        assert page.balance() == "$15.00"
        time.sleep(3.5)  # signing out with an expired access token still revokes the session
        page.sign_out()
    tokens = OutstandingToken.objects.filter(user=alice)
    assert tokens.count() == BlacklistedToken.objects.filter(token__in=tokens).count()


def test_a_double_click_on_confirm_moves_money_once(live_server, make_user):
    from selenium.webdriver.common.action_chains import ActionChains

    sender = make_user(username="erin", balance="50.00")
    receiver = make_user(username="frank")
    with signed_in(live_server.url, "erin", DEFAULT_PASSWORD, width=1280, height=1200) as page:
        driver = page.driver
        page.fill_payment("frank", "10.00")
        ActionChains(driver).double_click(page.button("Confirm")).perform()
        page.wait_for_text("#balance", "$40.00")
        page.wait_history(lambda items: len(items) == 2, "the transfer never appeared")
    assert Transaction.objects.filter(sender=sender).count() == 1
    assert balance_of(sender) == Decimal("40.00") and balance_of(receiver) == Decimal("10.00")


def test_names_and_memos_show_as_text_and_amounts_follow_the_apis_rule(live_server, make_user):
    hostile = "<img src=x onerror=alert(1)>"
    # Registration refuses such a name; the admin or createsuperuser can still make one.
    attacker = user_create(username="placeholder", password=DEFAULT_PASSWORD)
    type(attacker).objects.filter(pk=attacker.pk).update(username=hostile)
    deposit_create(user_id=attacker.pk, amount=Decimal("5.00"))
    target = make_user(username="grace")
    memo = "<script>window.pwned = 1</script><b>bold</b>"
    transfer_create(sender_id=attacker.pk, receiver_id=target.pk, amount=Decimal("1.00"), description=memo)
    with signed_in(live_server.url, "grace", DEFAULT_PASSWORD, width=1280, height=1200) as page:
        driver = page.driver
        items = page.wait_history(lambda items: len(items) == 1, "the transfer never appeared")
        assert items[0].startswith(f"From {hostile} (#{attacker.pk})")
        assert memo in items[0]
        page.open_history_item(0)
        page.wait_for_text(".detail", hostile)
        assert driver.find_elements("css selector", "main img, main script, main b") == []
        assert driver.execute_script("return window.pwned === undefined && document.images.length === 0")
        assert page.console_errors() == []

        cases = ["10.50", "0", "0.00", "0.01", "01.00", " 1.00", "1e2", "-1", "1.234", "1.", ".5",
                 "12345678901234567.00", "9999999999999999.99", "1,50", "١٢", ""]
        browser_says = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "import('/static/web/js/money.js').then(m => done(arguments[0].map("
            "  t => [m.amountProblem(t), m.amountProblem(t, {allowZero: true})])));", cases)
        assert browser_says == [[amount_problem(t), amount_problem(t, allow_zero=True)] for t in cases]


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1280, 860), ("mobile", 375, 812)])
def test_screenshots_at_desktop_and_phone_width(live_server, make_user, name, width, height, tmp_path):
    """What a person sees, at 1280 and 375 px. ``make screenshots`` writes them to docs/."""
    folder = Path(os.environ.get("WEB_SCREENSHOTS_DIR") or tmp_path)
    alice = make_user(username="alice", balance="250.00")
    bob = make_user(username="bob", balance="40.00")
    for sender, receiver, amount, memo in ((bob, alice, "15.00", "Concert tickets"),
                                           (alice, bob, "42.10", "Dinner, Friday")):
        transfer_create(sender_id=sender.pk, receiver_id=receiver.pk, amount=Decimal(amount),
                        description=memo)
    for payer, payee, amount, memo in ((bob, alice, "20.00", "Bike repair, if it passes the test ride"),
                                       (alice, bob, "60.00", "Deposit for the flat")):
        hold_create(payer_id=payer.pk, payee_id=payee.pk, amount=Decimal(amount), expires_in=86400,
                    description=memo)
    with signed_in(live_server.url, "alice", DEFAULT_PASSWORD, width=width, height=height) as page:
        driver = page.driver
        page.wait_history(lambda items: len(items) == 3, "the history did not load")
        page.wait_holds("Held by you", lambda items: len(items) == 1, "the holds did not load")
        page.wait_holds("Held for you", lambda items: len(items) == 1, "the holds did not load")
        page.fill_payment("bob", "12.50", memo="Taxi")
        # Nothing wider than the window: no sideways scrolling, even at 375 px.
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        driver.execute_script("window.scrollTo(0, 0)")
        full_page_screenshot(driver, folder / f"web-client-{name}.png")
        assert (folder / f"web-client-{name}.png").stat().st_size > 10_000


def test_a_payment_whose_answer_was_lost_is_retried_with_the_same_key_and_moves_money_once(
        live_server, make_user):
    sender = make_user(username="heidi", balance="50.00")
    receiver = make_user(username="ivan")
    proxy = AnswerLosingProxy(live_server.url, lose=("POST", "/api/wallet/transfer/"))
    try:
        with signed_in(proxy.url, "heidi", DEFAULT_PASSWORD, width=1280, height=1200) as page:
            page.fill_payment("ivan", "10.00")
            page.click("Confirm")
            assert "press Confirm to try again" in page.alert_text()
            assert balance_of(sender) == Decimal("40.00")  # the server did move it; the page cannot know
            page.click("Confirm")
            page.wait_for_text("#balance", "$40.00")
    finally:
        proxy.close()
    keys = [headers.get("Idempotency-Key") for headers in proxy.seen]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert Transaction.objects.filter(sender=sender).count() == 1
    assert balance_of(sender) == Decimal("40.00") and balance_of(receiver) == Decimal("10.00")


def test_by_keyboard_alone_with_each_refusal_as_a_sentence(live_server, make_user):
    from selenium.webdriver.common.keys import Keys

    judy = make_user(username="judy", balance="20.00")
    make_user(username="karl")
    with chromium(width=1280, height=1200) as driver:
        page = WebClient(driver, live_server.url)
        page.open()
        page.field("Username").send_keys("judy", Keys.TAB, DEFAULT_PASSWORD, Keys.ENTER)
        assert page.balance() == "$20.00"

        page.type("Recipient", "nobody")
        page.type("Amount", "1.00")
        page.field("Amount").send_keys(Keys.ENTER)
        page.wait_for_text("[role=alert]", "No one has that username. Check the spelling.")
        page.type("Recipient", "karl")
        page.type("Amount", "1.234")
        page.field("Amount").send_keys(Keys.ENTER)
        page.wait_for_text("[role=alert]", "Use at most 2 decimal places.")
        page.type("Amount", "50.00")
        page.field("Amount").send_keys(Keys.ENTER)
        page.text_of("#confirm-question")
        driver.switch_to.active_element.send_keys(Keys.ENTER)  # Confirm has the focus
        page.wait_for_text("[role=alert]", "Your available balance is too low for this amount.")
    assert Transaction.objects.filter(kind="transfer").count() == 0
    assert balance_of(judy) == Decimal("20.00")


def test_load_more_pages_through_the_history_and_a_pending_receipt_is_waited_for(
        live_server, make_user, tmp_path):
    from apps.receipts.tasks import receipts_relay

    lena = make_user(username="lena")
    for cents in range(1, 24):  # 23 deposits: a page of 20, then 3 more
        deposit_create(user_id=lena.pk, amount=Decimal(cents))
    with signed_in(live_server.url, "lena", DEFAULT_PASSWORD, width=1280, height=1600,
                   downloads=tmp_path) as page:
        driver = page.driver
        first = page.wait_history(lambda items: len(items) == 20, "the first page did not load")
        assert first[0].startswith("Deposit\n+$23.00")
        page.click("Load more")
        items = page.wait_history(lambda items: len(items) == 23, "Load more did not add the rest")
        assert items[-1].startswith("Deposit\n+$1.00")
        assert not [b for b in driver.find_elements("xpath", "//button[normalize-space()='Load more']")
                    if b.is_displayed()]

        page.open_history_item(0)
        page.click("Download text receipt")
        page.wait_for_text("#receipt-status", "Your receipt is being prepared")
        assert page.driver.find_elements("css selector", "[role=alert]:not([hidden])") == []
        receipts_relay()  # the worker catches up
        page.wait_for_text("#receipt-status", "Text receipt downloaded.")
        _, text = page.downloaded(tmp_path, ".txt")
        receipt = Receipt.objects.get(transaction__amount=Decimal("23.00"))
        with default_storage.open(receipt.txt_path, "rb") as stored:
            assert text == stored.read()


def test_a_receiver_refunds_part_of_a_transfer_after_confirming_and_both_pages_link(live_server, make_user):
    payer = make_user(username="hana", balance="50.00")
    shop = make_user(username="ivan")
    paid = transfer_create(sender_id=payer.pk, receiver_id=shop.pk, amount=Decimal("30.00")).transaction
    with signed_in(live_server.url, "ivan", DEFAULT_PASSWORD, width=1280, height=1200) as page:
        page.wait_history(lambda items: len(items) == 1, "the transfer never appeared")
        page.open_history_item(0)
        page.wait_for_text(".detail", "From hana")
        page.click("Refund")
        assert page.field("Amount to refund").get_attribute("value") == "30.00"  # all that remains
        page.click("Cancel")  # nothing moves until confirmed
        assert balance_of(shop) == Decimal("30.00")
        page.click("Refund")
        page.type("Amount to refund", "40.00")
        page.click("Confirm refund")
        assert "At most 30.00 remains" in page.alert_text()
        page.type("Amount to refund", "12.50")
        page.type("Memo (optional)", "One ticket unused")
        page.click("Confirm refund")
        refund = page.wait_for_text(".detail", f"Refund of\n#{paid.pk}")  # the refund's own page
        assert "Refund to hana" in refund and "One ticket unused" in refund
        page.driver.find_element("link text", f"#{paid.pk}").click()
        original = page.wait_for_text(".detail", "Given back by")
        assert "Given back\n$12.50" in original
        refund_id = Transaction.objects.get(original=paid).pk
        assert f"Given back by\n#{refund_id}" in original
        assert page.console_errors() == []
    assert (balance_of(payer), balance_of(shop)) == (Decimal("32.50"), Decimal("17.50"))
    assert Transaction.objects.filter(original=paid).count() == 1
