"""The browser kit finds what a person would see: a page wider than the window, a script error,
and a clean page that fits, with a full-page screenshot of the real size."""

import pytest

from headless import Browser, load, png_size

CLEAN = """<!doctype html><html><head><meta charset="utf-8"><title>clean</title>
<style>body { margin: 0; font-family: sans-serif } main { max-width: 100%; }</style></head>
<body><main><h1>Fleet</h1><p>Everything fits.</p></main></body></html>"""
WIDE = """<!doctype html><html><head><meta charset="utf-8"><title>wide</title></head>
<body><table><tr><td style="white-space: nowrap">2026-12-01T09:43:00Z-and-a-very-long-unbroken-value-that-keeps-going-
and-going-and-going-and-going-and-going-and-going-and-going-and-going-and-going-and-going-and-going-and-going</td>
<td><div style="width: 1500px">wide cell</div></td></tr></table></body></html>"""
CONSOLE_ERROR = """<!doctype html><html><head><meta charset="utf-8"><title>broken</title></head>
<body><p>Looks fine</p><script>console.error("report: row 3 has no host"); undefinedFunction();</script></body></html>"""
TALL = """<!doctype html><html><head><meta charset="utf-8"><title>tall</title></head>
<body style="margin: 0"><div style="height: 2400px">tall</div></body></html>"""


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def page(tmp_path, name, html):
    path = tmp_path / (name + ".html")
    path.write_text(html, encoding="utf-8")
    return str(path)


def test_a_clean_page_has_no_console_error_and_fits_the_window(browser, tmp_path):
    seen = browser.load(page(tmp_path, "clean", CLEAN), width=1280, height=800)
    assert seen.console_errors == []
    assert not seen.scrolls_horizontally
    assert seen.viewport_width == 1280
    assert seen.screenshot_size == (1280, 800)
    assert png_size(seen.screenshot) == seen.screenshot_size


def test_a_page_wider_than_the_window_is_seen_to_scroll_horizontally(browser, tmp_path):
    seen = browser.load(page(tmp_path, "wide", WIDE), width=1280, height=800)
    assert seen.scrolls_horizontally
    assert seen.scroll_width > 1500
    # The full-page screenshot shows the overflow too: it is as wide as the content.
    assert seen.screenshot_size[0] == seen.scroll_width


def test_a_console_error_and_an_uncaught_exception_are_reported(browser, tmp_path):
    seen = browser.load(page(tmp_path, "broken", CONSOLE_ERROR))
    text = "\n".join(seen.console_errors)
    assert "report: row 3 has no host" in text
    assert "undefinedFunction" in text
    assert len(seen.console_errors) == 2


def test_errors_of_an_earlier_page_are_not_blamed_on_the_next(browser, tmp_path):
    browser.load(page(tmp_path, "broken", CONSOLE_ERROR))
    assert browser.load(page(tmp_path, "clean", CLEAN)).console_errors == []


def test_the_screenshot_is_of_the_full_page_not_only_the_window(browser, tmp_path):
    seen = browser.load(page(tmp_path, "tall", TALL), width=1024, height=600)
    assert seen.screenshot_size == (1024, 2400)


def test_a_narrow_window_makes_a_fixed_width_page_scroll(browser, tmp_path):
    fixed = CLEAN.replace("max-width: 100%", "width: 900px")
    assert not browser.load(page(tmp_path, "fixed", fixed), width=1280).scrolls_horizontally
    assert browser.load(page(tmp_path, "fixed", fixed), width=600).scrolls_horizontally


def test_load_starts_and_stops_a_browser_of_its_own(tmp_path):
    seen = load(page(tmp_path, "clean", CLEAN), width=800, height=600)
    assert seen.screenshot_size == (800, 600) and seen.console_errors == []


def test_a_missing_file_is_refused_before_the_browser_is_asked(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(str(tmp_path / "no-such-page.html"))
