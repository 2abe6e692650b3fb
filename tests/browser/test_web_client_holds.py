"""Holds in the web client, in a real browser (headless Chromium) on a live server.

A payer reserves money for a payee through the API; the payee captures it (all or part)
or voids it on the page, the payer can void it, and both see the wallet's available, held
and balance figures follow. Fields and buttons are found by their visible names.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.wallets.models import Hold
from tests.support.browser import chromium, needs_browser
from tests.support.factories import DEFAULT_PASSWORD, balance_of
from tests.support.http_proxy import AnswerLosingProxy
from tests.support.web_client_page import WebClient, signed_in

pytestmark = [pytest.mark.django_db(transaction=True), needs_browser]
FOR_YOU, BY_YOU = "Held for you", "Held by you"


@pytest.fixture
def hold_by_api(client_for):
    """A hold made through ``POST /api/holds/`` by ``payer`` for ``payee``: the API's answer."""

    def make(payer, payee, amount: str, memo: str = "") -> dict:
        response = client_for(payer).post("/api/holds/", {"payee_id": payee.pk, "amount": amount,
                                                          "description": memo}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make


def _figures(page: WebClient) -> tuple[str, str, str]:
    return page.figure("Available"), page.figure("Held"), page.figure("Balance")


def test_the_payee_captures_part_of_a_hold_and_both_wallets_follow(live_server, make_user, hold_by_api):
    hana = make_user(username="hana", balance="100.00")
    ivo = make_user(username="ivo", balance="5.00")
    hold = hold_by_api(hana, ivo, "60.00", memo="Deposit for the bike")
    with chromium(width=1280, height=1400) as driver:
        page = WebClient(driver, live_server.url)
        page.open()
        page.sign_in("hana", DEFAULT_PASSWORD)
        assert _figures(page) == ("$40.00", "$60.00", "$100.00")
        [mine] = page.wait_holds(BY_YOU, lambda items: len(items) == 1, "the payer's hold is not listed")
        title, amount, expires, memo, *_ = mine.split("\n")
        assert (title, amount, memo) == (f"For ivo (#{ivo.pk})", "$60.00", "Deposit for the bike")
        assert expires.startswith("Expires ")
        page.wait_for_text(".holds [role=status]", "No one is holding money for you.")
        page.sign_out()

        page.sign_in("ivo", DEFAULT_PASSWORD)
        assert _figures(page) == ("$5.00", "$0.00", "$5.00")
        [theirs] = page.wait_holds(FOR_YOU, lambda items: len(items) == 1, "the payee's hold is not listed")
        assert theirs.startswith(f"From hana (#{hana.pk})\n$60.00\nExpires ")
        assert page.field("Amount to capture").get_attribute("value") == "60.00"  # all of it, unless changed
        page.type("Amount to capture", "60.01")
        page.click("Capture")
        page.wait_for_text("[role=alert]", "You can capture at most $60.00.")

        page.type("Amount to capture", "25.00")
        page.click("Capture")
        page.wait_for_text(".holds .question", f"Capture $25.00 from hana (#{hana.pk})?")
        page.wait_for_text(".holds .hint", f"The other $35.00 goes back to hana (#{hana.pk}).")
        page.click("Confirm capture")
        page.wait_figure("Balance", "$30.00")
        assert _figures(page) == ("$30.00", "$0.00", "$30.00")
        assert f"Captured $25.00 from hana (#{hana.pk})." in page.text_of("#notice")
        page.wait_for_text(".holds [role=status]", "No one is holding money for you.")
        assert page.holds(FOR_YOU) == []
        items = page.wait_history(lambda items: len(items) == 2, "the capture is not in the history")
        assert items[0].startswith(f"From hana (#{hana.pk})\n+$25.00")
        page.sign_out()

        page.sign_in("hana", DEFAULT_PASSWORD)
        assert _figures(page) == ("$75.00", "$0.00", "$75.00")
        page.wait_for_text(".holds [role=status]", "You are not holding money for anyone.")
        assert page.console_errors() == []

    captured = Hold.objects.get(pk=hold["id"])
    assert (captured.status, captured.captured_amount) == (Hold.Status.CAPTURED, Decimal("25.00"))
    assert balance_of(hana) == Decimal("75.00") and balance_of(ivo) == Decimal("30.00")


def test_the_payer_voids_a_hold_and_an_expired_or_ended_one_is_said_in_a_sentence(
        live_server, make_user, hold_by_api, client_for):
    from selenium.webdriver.common.keys import Keys

    jon = make_user(username="jon", balance="100.00")
    kim = make_user(username="kim")
    voided = hold_by_api(jon, kim, "20.00")
    with chromium(width=375, height=812) as driver:  # a phone's width
        page = WebClient(driver, live_server.url)
        page.open()
        page.sign_in("jon", DEFAULT_PASSWORD)
        assert _figures(page) == ("$80.00", "$20.00", "$100.00")
        page.wait_holds(BY_YOU, lambda items: len(items) == 1, "the payer's hold is not listed")
        page.click("Void")
        page.wait_for_text(".holds .question", f"Void your $20.00 hold for kim (#{kim.pk})?")
        page.click("Cancel")  # nothing happens until it is confirmed
        page.click("Void")
        page.click("Confirm void")
        page.wait_figure("Held", "$0.00")
        assert _figures(page) == ("$100.00", "$0.00", "$100.00")
        assert f"Voided the $20.00 hold for kim (#{kim.pk})." in page.text_of("#notice")
        page.wait_for_text(".holds [role=status]", "You are not holding money for anyone.")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 375
        page.sign_out()

        expired = hold_by_api(jon, kim, "30.00")
        page.sign_in("kim", DEFAULT_PASSWORD)
        page.wait_holds(FOR_YOU, lambda items: len(items) == 1, "the payee's hold is not listed")
        Hold.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(minutes=1))
        # By keyboard: Enter in the amount field asks for the confirmation, which has the focus.
        page.field("Amount to capture").send_keys(Keys.ENTER)
        page.wait_for_text(".holds .question", f"Capture $30.00 from jon (#{jon.pk})?")
        assert driver.switch_to.active_element.text == "Confirm capture"
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        page.wait_for_text("[role=alert]", "This hold has expired, so it can no longer be captured. "
                                           "The money went back to the payer.")
        page.wait_for_text(".holds [role=status]", "No one is holding money for you.")  # the list caught up
        assert _figures(page) == ("$0.00", "$0.00", "$0.00")

        ended = hold_by_api(jon, kim, "5.00")
        driver.refresh()  # the session survives a reload, and the new hold is listed
        page.wait_holds(FOR_YOU, lambda items: len(items) == 1, "the payee's hold is not listed")
        assert client_for(jon).post(f"/api/holds/{ended['id']}/void/", {}, format="json").status_code == 200
        page.click("Void")  # the page does not know yet that the payer voided it
        page.wait_for_text(".holds .question", f"Void the $5.00 hold from jon (#{jon.pk})?")
        page.click("Confirm void")
        page.wait_for_text("[role=alert]", "This hold was already voided.")
        page.wait_for_text(".holds [role=status]", "No one is holding money for you.")
        assert page.console_errors() == []

    assert Hold.objects.get(pk=voided["id"]).status == Hold.Status.VOIDED
    assert Hold.objects.get(pk=expired["id"]).captured_amount is None
    assert balance_of(jon) == Decimal("100.00") and balance_of(kim) == Decimal("0.00")


def test_a_capture_whose_answer_was_lost_is_retried_with_the_same_key_and_captures_once(
        live_server, make_user, hold_by_api):
    lea = make_user(username="lea", balance="50.00")
    max_ = make_user(username="max")
    hold = hold_by_api(lea, max_, "50.00")
    proxy = AnswerLosingProxy(live_server.url, lose=("POST", f"/api/holds/{hold['id']}/capture/"))
    try:
        with signed_in(proxy.url, "max", DEFAULT_PASSWORD, width=1280, height=1200) as page:
            page.wait_holds(FOR_YOU, lambda items: len(items) == 1, "the payee's hold is not listed")
            page.type("Amount to capture", "10.00")
            page.click("Capture")
            page.click("Confirm capture")
            assert "press Confirm capture to try again" in page.alert_text()
            assert balance_of(max_) == Decimal("10.00")  # the server did capture it; the page cannot know
            page.click("Confirm capture")
            page.wait_figure("Balance", "$10.00")
            page.wait_for_text(".holds [role=status]", "No one is holding money for you.")
    finally:
        proxy.close()
    keys = [headers.get("Idempotency-Key") for headers in proxy.seen]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert Hold.objects.get(pk=hold["id"]).captured_amount == Decimal("10.00")
    assert balance_of(lea) == Decimal("40.00") and balance_of(max_) == Decimal("10.00")
