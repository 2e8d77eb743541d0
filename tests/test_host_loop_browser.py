"""`studio serve --watch` in headless Chromium: a saved script reloads the open page by itself,
a broken one shows its error box, and the email preview's toggles switch dark mode and phone width.

Needs the Debian package chromium (and playwright from the test extra): skipped without
them locally, a failure under CI."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.host_loop_support import TIMEOUT, loop_show, script, status_of, wait_for, watch_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ITEMS = [("第一条", "第一条新闻的内容。"), ("第二条", "第二条新闻的内容。")]
EDITED = [("第一条", "第一条新闻的内容。"), ("第二条", "第二条新闻改过了。")]


def _browser_or_skip():
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright, missing = None, "playwright is not installed (pip install -e '.[test]')"
    if not missing and not os.access(CHROMIUM, os.X_OK):
        missing = "chromium is not installed (apt-get install chromium)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser test: {missing}")
        pytest.skip(f"browser test: {missing}")
    return sync_playwright


def test_pages_reload_and_show_errors_in_chromium(tmp_path: Path):
    sync_playwright = _browser_or_skip()
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    a = root / "episodes" / "a.md"
    ms = TIMEOUT * 1000
    with watch_server(root, tmp_path / "stderr.txt") as (port, proc, lines), sync_playwright() as p:
        wait_for(lambda: status_of(port)["episodes"].get("episodes/a.md", {}).get("status") == "built")
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/episodes/one/")
            page.evaluate("window.__notReloaded = true")
            a.write_text(script("一", "2026-03-01", 1, EDITED, slug="one"), "utf-8")
            page.wait_for_function("document.body.innerText.includes('第二条新闻改过了')", timeout=ms)
            assert page.evaluate("window.__notReloaded") is None  # the page reloaded by itself

            a.write_text(script("一", "2026-03-01", 1, EDITED, slug="one").replace("title = '一'", "title = '一"), "utf-8")
            # the overlay, shown and naming the problem (polled: the draft and the full build may each reload the page)
            page.wait_for_function("() => { const b = document.querySelector('#studio-errors');"
                                   " return b && b.getClientRects().length > 0 && b.innerText.includes('front matter TOML error'); }",
                                   timeout=ms)
            a.write_text(script("一", "2026-03-01", 1, EDITED, slug="one"), "utf-8")
            page.wait_for_selector("#studio-errors", state="detached", timeout=ms)

            page.goto(f"http://127.0.0.1:{port}/__studio/email/one/")
            frame = page.frame_locator("#email")
            bg = "() => getComputedStyle(document.body).backgroundColor"
            light = frame.locator("body").evaluate(bg.replace("()", "e"))
            page.get_by_role("switch", name="Dark mode").click()
            page.wait_for_url("**dark=1**")
            dark = frame.locator("body").evaluate(bg.replace("()", "e"))
            channels = [int(v) for v in re.findall(r"\d+", dark)[:3]]
            assert light != dark and max(channels) < 64  # the email's own dark-mode colours
            assert frame.locator("table.w").first.evaluate("e => e.offsetWidth") > 375
            page.get_by_role("switch", name="Phone 375 px").click()
            page.wait_for_url("**phone=1**")
            assert page.locator("#email").evaluate("e => e.clientWidth") <= 375
            assert frame.locator("table.w").first.evaluate("e => e.offsetWidth") <= 375  # the mobile rules apply
            assert "第二条新闻改过了" in page.locator("#text").inner_text()  # the plain-text part beside it
        finally:
            browser.close()
    assert proc.returncode is not None
