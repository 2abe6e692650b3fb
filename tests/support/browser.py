"""Headless Chromium for the browser tests: Debian's ``chromium`` and ``chromium-driver``.

Nothing is downloaded: the browser and the driver are the system ones (``.ci/run``
installs them) and Selenium Manager is kept offline. Without them a browser test
skips, except under ``REQUIRE_BROWSER_TEST=1`` (CI), where it fails.
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_SECONDS = 30

_missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).is_file()]
_required = os.environ.get("REQUIRE_BROWSER_TEST") == "1"
needs_browser = pytest.mark.skipif(
    bool(_missing) and not _required,
    reason=f"no headless browser here ({', '.join(_missing)} missing): "
           "apt-get install chromium chromium-driver (CI installs them)",
)


@contextlib.contextmanager
def chromium(width: int = 1400, height: int = 2000, downloads: Path | None = None):
    """A headless Chromium session; ``downloads`` receives downloaded files without asking.

    The performance log (every network request the page makes) and the console log are on.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if _missing:
        pytest.fail(f"REQUIRE_BROWSER_TEST=1 but {', '.join(_missing)} is missing")
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager look for a browser or a driver
    profile = tempfile.mkdtemp(prefix="test-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars",
        f"--window-size={width},{height}", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if downloads is not None:
        options.add_experimental_option("prefs", {
            "download.default_directory": str(downloads), "download.prompt_for_download": False,
        })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    # The window cannot be narrower than 500 px: a phone's viewport is emulated instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def full_page_screenshot(driver, path: Path) -> None:
    """The whole page as a PNG, below the fold included, at the emulated width."""
    import base64

    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))
