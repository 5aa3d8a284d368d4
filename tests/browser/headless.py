"""Pages as a person sees them: Debian's headless Chromium, driven through its own chromedriver.

For the tests of the pages the collection writes (report.html, the enrollment handout)::

    import sys; sys.path.insert(0, "<checkout>/tests/browser")
    from headless import load
    page = load("/path/to/report.html", width=1280, height=800)
    assert page.console_errors == [] and not page.scrolls_horizontally
    assert page.screenshot_size[0] == 1280      # page.screenshot holds the full-page PNG

``Browser`` keeps one Chromium for several loads (``with Browser() as b: b.load(...)``); ``load``
starts one for a single page. Nothing is downloaded: selenium is pointed at /usr/bin/chromedriver
and /usr/bin/chromium (Debian's chromium and chromium-driver, installed by tests/setup-system.sh),
so Selenium Manager never runs; every start gets a fresh profile folder, removed at the end, and
the browser resolves no host name but localhost.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import struct
import tempfile
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
)


@dataclasses.dataclass(frozen=True)
class PageLoad:
    """What a page gave at a viewport of ``viewport_width`` CSS pixels."""

    url: str
    console_errors: list
    scroll_width: int
    viewport_width: int
    screenshot: bytes
    screenshot_size: tuple

    @property
    def scrolls_horizontally(self):
        return self.scroll_width > self.viewport_width


def png_size(data):
    """(width, height) from a PNG's header chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def _url(path_or_url):
    if urllib.parse.urlsplit(path_or_url).scheme in ("http", "https", "file", "data"):
        return path_or_url
    if not os.path.exists(path_or_url):
        raise FileNotFoundError(path_or_url)
    return "file://" + urllib.parse.quote(os.path.abspath(path_or_url))


class Browser:
    """One headless Chromium for one or more page loads."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="fleet2fa-chromium-")
        options = Options()
        options.binary_location = CHROMIUM
        for flag in FLAGS + ("--user-data-dir=" + self.profile,):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def load(self, path_or_url, width=1280, height=800):
        """Open a page at a ``width`` x ``height`` viewport; its console errors, widths and full-page PNG."""
        drv = self.driver
        drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        drv.get_log("browser")  # drop what an earlier page left
        url = _url(path_or_url)
        drv.get(url)
        widths = drv.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];")
        content = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": max(width, content["width"]),
                     "height": max(height, content["height"]), "scale": 1}})
        png = base64.b64decode(shot["data"])
        errors = [entry["message"] for entry in drv.get_log("browser") if entry.get("level") == "SEVERE"]
        return PageLoad(url=url, console_errors=errors, scroll_width=int(widths[0]), viewport_width=int(widths[1]),
                        screenshot=png, screenshot_size=png_size(png))


def load(path_or_url, width=1280, height=800):
    """One page in a browser of its own (see ``Browser.load``)."""
    with Browser() as browser:
        return browser.load(path_or_url, width=width, height=height)
