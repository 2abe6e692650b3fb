"""Swagger UI in a real browser: sign in, authorize and transfer, all through the UI.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver`` packages,
installed by ``.ci/run``) drives ``/api/docs/`` on a live server. Nothing is
downloaded: the driver and the browser are the system ones, and Swagger UI's
assets come from this server (drf-spectacular-sidecar), not from a CDN.
"""
import json
import re
from decimal import Decimal

import pytest

from tests.support.browser import WAIT_SECONDS, chromium, needs_browser
from tests.support.factories import DEFAULT_PASSWORD, balance_of

pytestmark = [pytest.mark.django_db(transaction=True), needs_browser]


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


class SwaggerPage:
    """The few Swagger UI interactions the test needs, each with an explicit wait."""

    def __init__(self, driver):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = WebDriverWait(driver, WAIT_SECONDS)

    def _visible(self, css, within=None):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        if within is None:
            return self.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
        return self.wait.until(lambda _: next(
            (e for e in within.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), False))

    def _click(self, element):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        self.wait.until(lambda _: element.is_enabled())
        element.click()

    def operation(self, tag: str, operation_id: str):
        """Expand an operation (the id is Swagger UI's deep-link id) and return its block."""
        block = self._visible(f"#operations-{tag}-{operation_id}")
        if "is-open" not in block.get_attribute("class"):
            self._click(block.find_element("css selector", ".opblock-summary"))
        self._visible(".opblock-body", within=block)
        return block

    def execute(self, block, body: dict) -> tuple[int, dict]:
        """Try it out with ``body``, execute, and return the live response's status and JSON."""
        from selenium.webdriver.common.keys import Keys

        self._click(self._visible("button.try-out__btn", within=block))
        textarea = self._visible("textarea.body-param__text", within=block)
        textarea.send_keys(Keys.CONTROL, "a")
        textarea.send_keys(Keys.DELETE)
        textarea.send_keys(json.dumps(body))
        self._click(self._visible("button.execute", within=block))
        row = self._visible(".live-responses-table tbody tr.response", within=block)
        status = self.wait.until(lambda _: re.match(r"\d{3}", row.find_element(
            "css selector", ".response-col_status").text.strip()))
        text = self.wait.until(lambda _: row.find_element(
            "css selector", ".response-col_description pre").text.strip() or False)
        return int(status.group()), json.loads(text)

    def authorize(self, token: str) -> None:
        self._click(self._visible(".auth-wrapper button.authorize"))
        modal = self._visible(".modal-ux")
        field = self._visible(".auth-container input", within=modal)
        field.send_keys(token)
        self._click(self._visible(".auth-btn-wrapper button.authorize", within=modal))
        self._visible(".auth-btn-wrapper button.btn-done", within=modal)  # "Logout" shown
        self._click(modal.find_element("css selector", "button.btn-done"))
        self.wait.until(lambda d: not d.find_elements("css selector", ".modal-ux"))


def test_swagger_ui_sign_in_authorize_and_transfer(live_server, browser, make_user):
    sender = make_user(username="swagger-alice", balance="100.00")
    receiver = make_user(username="swagger-bob")

    browser.get(f"{live_server.url}/api/docs/")
    page = SwaggerPage(browser)

    status, tokens = page.execute(
        page.operation("auth", "auth_token_create"),
        {"username": sender.username, "password": DEFAULT_PASSWORD},
    )
    assert status == 200, tokens
    # The scheme is HTTP bearer: Swagger UI wants the raw token and adds "Bearer ".
    page.authorize(tokens["access"])

    status, body = page.execute(
        page.operation("wallet", "wallet_transfer"),
        {"receiver_id": receiver.pk, "amount": "10.00"},
    )
    assert status == 201, body
    assert body["balance"] == "90.00"
    assert body["transaction"]["receiver_id"] == receiver.pk
    assert body["transaction"]["amount"] == "10.00"
    assert balance_of(sender) == Decimal("90.00")
    assert balance_of(receiver) == Decimal("10.00")
