"""The web client at ``/`` as a person uses it: fields and buttons found by their visible names."""
import contextlib
import json
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.browser import WAIT_SECONDS, chromium


class WebClient:
    def __init__(self, driver, base_url: str):
        self.driver, self.base_url = driver, base_url
        # The page re-renders lists and panels: an element read while being replaced is read again.
        self.wait = WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,))

    # --- finding things by what a person reads
    def field(self, label: str):
        def find(driver):
            for tag in driver.find_elements(By.XPATH, f"//label[normalize-space()='{label}']"):
                target = driver.find_element(By.ID, tag.get_attribute("for"))
                if target.is_displayed():
                    return target
            return False
        return self.wait.until(find)

    def button(self, text: str):
        return self.wait.until(lambda d: next(
            (b for b in d.find_elements(By.XPATH, f"//button[normalize-space()='{text}']")
             if b.is_displayed() and b.is_enabled()), False))

    def text_of(self, css: str) -> str:
        return self.wait.until(lambda d: next(
            (e.text for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed() and e.text), False))

    def wait_for_text(self, css: str, expected: str) -> str:
        def seen(driver):
            texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
            return next((t for t in texts if expected in t), False)
        try:
            return self.wait.until(seen)
        except Exception as exc:
            raise AssertionError(f"{expected!r} never shown in {css}; page: {self.main_text()!r}") from exc

    def main_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def alert_text(self) -> str:
        return self.text_of("[role=alert]")

    def history_items(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#history-list li")]

    def wait_history(self, predicate, message: str) -> list[str]:
        try:
            return self.wait.until(lambda _: (items := self.history_items()) and predicate(items) and items)
        except Exception as exc:
            raise AssertionError(f"{message}; history: {self.history_items()!r}") from exc

    def figure(self, label: str) -> str:
        """A figure of the wallet card by its visible name: "Available", "Held" or "Balance"."""
        return self.text_of_xpath(f"//section[contains(@class,'wallet')]//dt[normalize-space()='{label}']"
                                  "/following-sibling::dd[1]")

    def wait_figure(self, label: str, expected: str) -> None:
        try:
            self.wait.until(lambda _: self.figure(label) == expected)
        except Exception as exc:
            raise AssertionError(f"{label} never showed {expected!r}; page: {self.main_text()!r}") from exc

    def text_of_xpath(self, xpath: str) -> str:
        return self.wait.until(lambda d: next(
            (e.text for e in d.find_elements(By.XPATH, xpath) if e.is_displayed() and e.text), False))

    def holds(self, heading: str) -> list[str]:
        """The holds listed under a heading of the Holds section ("Held for you", "Held by you")."""
        return [e.text for e in self.driver.find_elements(
            By.XPATH, f"//h3[normalize-space()='{heading}']/following-sibling::ul[1]/li")]

    def wait_holds(self, heading: str, predicate, message: str) -> list[str]:
        seen = []

        def check(_):
            seen[:] = self.holds(heading)
            return predicate(seen)
        try:
            self.wait.until(check)
            return seen
        except Exception as exc:
            raise AssertionError(f"{message}; {heading}: {self.holds(heading)!r}") from exc

    # --- what a person does
    def type(self, label: str, text: str) -> None:
        field = self.field(label)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        field.send_keys(text)

    def click(self, text: str) -> None:
        button = self.button(text)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()

    def open(self) -> None:
        self.driver.get(f"{self.base_url}/")

    def sign_in(self, username: str, password: str) -> None:
        self.type("Username", username)
        self.type("Password", password)
        self.click("Sign in")
        self.text_of("#balance")

    def create_account(self, username: str, password: str) -> None:
        self.type("Username", username)
        self.type("Password", password)
        self.click("Create account")
        self.text_of("#balance")

    def sign_out(self) -> None:
        self.click("Sign out")
        self.button("Sign in")

    def fill_payment(self, recipient: str, amount: str, memo: str = "") -> str:
        """Fill the form and press Send; answers the confirmation question."""
        self.type("Recipient", recipient)
        self.type("Amount", amount)
        if memo:
            self.type("Memo", memo)
        self.click("Send")
        return self.text_of("#confirm-question")

    def open_history_item(self, index: int = 0) -> None:
        """Open the history item at ``index`` (newest first), once the list is stable."""
        def click(driver):
            items = driver.find_elements("css selector", "#history-list li a")
            if len(items) <= index:
                return False
            items[index].click()
            return True
        self.wait.until(click)
        self.text_of(".detail")

    def balance(self) -> str:
        return self.text_of("#balance")

    def open_filters(self) -> None:
        details = self.driver.find_element(By.CSS_SELECTOR, "details.filters")
        if details.get_attribute("open") is None:
            details.find_element(By.TAG_NAME, "summary").click()

    def choose(self, label: str, visible_text: str) -> None:
        Select(self.field(label)).select_by_visible_text(visible_text)

    # --- what the browser did
    def requested_urls(self) -> list[str]:
        """Every URL the page asked for, from the browser's performance log (drained)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def console_errors(self) -> list[str]:
        """Script errors (an answer's 4xx status, such as a pending receipt's 409, is not one)."""
        return [e["message"] for e in self.driver.get_log("browser")
                if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]

    @staticmethod
    def downloaded(folder: Path, suffix: str) -> tuple[str, bytes]:
        """The one file with this suffix that the browser saved in ``folder``: its name and bytes."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not (done := list(folder.glob(f"*{suffix}"))) or list(folder.glob("*.crdownload")):
            if time.monotonic() > deadline:
                raise AssertionError(f"no *{suffix} downloaded; the folder has {sorted(folder.iterdir())}")
            time.sleep(0.1)
        assert len(done) == 1, done
        return done[0].name, done[0].read_bytes()


@contextlib.contextmanager
def signed_in(base_url: str, username: str, password: str, **browser):
    """A headless Chromium (``browser``: width, height, downloads) on the client, signed in."""
    with chromium(**browser) as driver:
        page = WebClient(driver, base_url)
        page.open()
        page.sign_in(username, password)
        yield page
