"""The email and the site as headless Chromium renders them: both example episodes, 375 and 700 px,
light and dark. Needs Debian's chromium (skips locally without it, fails in CI)."""

from __future__ import annotations

import pytest

from tests import browser_support as bs


@pytest.fixture(scope="module")
def site(tmp_path_factory, examples_built):
    bs.require_chromium()
    built, server = bs.build_site(tmp_path_factory.mktemp("site"), examples_built / ".studio-cache")
    yield built
    server.shutdown()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = bs.launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def audits(site, browser):
    """Every page in every variant, measured once (screenshots when STUDIO_SCREENSHOTS names a folder)."""
    return bs.measure_all(site, browser, bs.screenshot_dir())


@pytest.fixture
def page_for(site, browser):
    contexts = []

    def open_page(url: str, width: int = 375, scheme: str = "light"):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                      service_workers="block")
        bs.route_offline(context, site)
        contexts.append(context)
        page = context.new_page()
        page.goto(url, wait_until="load")
        return page

    yield open_page
    for c in contexts:
        c.close()


def _where(row) -> str:
    return f"{row['name']} at {row['width']} px, {row['scheme']}"


def test_every_page_and_variant_was_measured(audits):
    names = {r["name"] for r in audits}
    assert {"index", "archive"} <= names and len([n for n in names if n.endswith("-email")]) == 2
    assert len([n for n in names if n.endswith("-transcript")]) == 2
    assert {(r["width"], r["scheme"]) for r in audits} == {(w, s) for w in bs.WIDTHS for s in bs.SCHEMES}


def test_no_text_falls_back_to_a_serif_font(audits):
    for row in audits:
        serif = [t for t in row["texts"] if t["serif_fallback"]]
        assert not serif, f"{_where(row)}: font stack without sans-serif: {serif[:3]}"
        used = [f for f in row.get("fonts", {}) if bs.is_serif(f)]
        assert not used, f"{_where(row)}: Chromium drew text in {used}"
    assert any(r.get("fonts") for r in audits)


def test_every_text_meets_4_5_to_1_contrast(audits):
    for row in audits:
        low = [t for t in row["texts"] if t["ratio"] < bs.MIN_CONTRAST]
        assert not low, f"{_where(row)}: {len(low)} texts under 4.5:1, e.g. {low[:3]}"
        assert len(row["texts"]) > 10


def test_dark_mode_is_dark(audits):
    from studio.present.palette import luminance

    for row in audits:
        (ground,) = {t["bg"] for t in row["texts"] if t["tag"] == "H1"}
        lum = luminance("#" + "".join(f"{int(v):02x}" for v in ground[4:-1].split(",")))
        assert (lum < 0.05) if row["scheme"] == "dark" else (lum > 0.8), f"{_where(row)}: background {ground}"


def test_tap_targets_are_at_least_44_px_high(audits):
    for row in audits:
        small = [t for t in row["taps"] if not t["inline"] and t["h"] < bs.MIN_TAP]
        assert not small, f"{_where(row)}: tap targets under 44 px: {small[:5]}"
        # the listen button, the items' listen links and unsubscribe are among them
        if row["name"].endswith("-email"):
            texts = {t["text"] for t in row["taps"] if not t["inline"]}
            assert {"▶ 收听完整节目", "▶ 收听本条", "退订"} <= texts


def test_no_horizontal_overflow_at_375_px(audits):
    for row in audits:
        if row["width"] == 375:
            assert row["overflow"] <= 0, f"{_where(row)}: {row['overflow']} px wider than the screen"


def test_every_image_of_the_script_appears(audits, site):
    assert sum(len(ex.images) for ex in site.examples) >= 9  # the newsletter: 4 stories + 5 section banners
    for row in audits:
        for src in row["expected_images"]:
            shown = [i for i in row["images"] if i["src"] == src and i["ok"]]
            assert shown, f"{_where(row)}: image {src} is not shown"
        for img in row["images"]:
            assert img["ok"], f"{_where(row)}: broken or hidden image {img}"


def test_pages_declare_color_scheme_and_size_their_images(audits):
    for row in audits:
        assert row["color_scheme"].replace(" ", "") in ("lightdark", "light,dark") or "dark" in row["color_scheme"], row["name"]
        if not row["name"].endswith("-email"):
            unsized = [i["src"] for i in row["images"] if not i["sized"]]
            assert not unsized, f"{_where(row)}: images without width/height: {unsized}"


def test_outlook_com_dark_mode_keeps_contrast(site, page_for):
    """Outlook.com ignores prefers-color-scheme; it marks what it recolours with data-ogsc/data-ogsb."""
    for ex in site.examples:
        page = page_for(f"{site.url}episodes/{ex.slug}/email.html", 375, "light")
        page.evaluate("() => { for (const el of [document.documentElement, document.body])"
                      " { el.setAttribute('data-ogsc', ''); el.setAttribute('data-ogsb', ''); } }")
        result = bs.audit(page)
        low = [t for t in result["texts"] if t["ratio"] < bs.MIN_CONTRAST]
        assert not low, low[:3]
        assert {t["bg"] for t in result["texts"]} <= {"rgb(28,28,30)", "rgb(11,11,12)", "rgb(29,78,216)"}


def _current_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def _wait_seek(page, seconds: float) -> None:
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 1.5",
                           timeout=15_000)


def test_chapter_click_seeks_the_player(site, page_for):
    ex = site.examples[-1]
    page = page_for(f"{site.url}episodes/{ex.slug}/", 700)
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15_000)
    link = page.locator("ol.chapters a.time").nth(3)
    start = float(link.get_attribute("data-start"))
    assert start > 5
    link.click()
    _wait_seek(page, start)
    assert page.url.endswith(f"#t={link.get_attribute('data-start')}")


def test_transcript_page_timestamp_click_seeks_its_player(site, page_for):
    ex = site.examples[0]
    page = page_for(f"{site.url}episodes/{ex.slug}/transcript.html", 375)
    assert page.locator("audio#player track[kind=captions]").count() == 1
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15_000)
    stamps = page.locator("ol.cues a.time")
    assert stamps.count() > 5
    stamp = stamps.nth(stamps.count() // 2)
    start = float(stamp.get_attribute("data-start"))
    stamp.click()
    _wait_seek(page, start)
    # the episode page links the readable transcript, and its player has the captions track
    episode = page_for(f"{site.url}episodes/{ex.slug}/", 375)
    assert episode.locator("a[href='transcript.html']").count() == 1
    assert episode.locator("audio#player track[kind=captions]").get_attribute("src") == "transcript.vtt"


def test_changing_the_hash_seeks_an_open_page(site, page_for):
    ex = site.examples[-1]
    page = page_for(f"{site.url}episodes/{ex.slug}/#t=12", 700)
    _wait_seek(page, 12)
    page.evaluate("location.hash = '#t=30.5'")
    _wait_seek(page, 30.5)


def test_every_page_links_the_archive_and_offers_email_signup(site, page_for):
    for name, url, _ in bs.pages_of(site):
        if name.endswith("-email"):
            continue
        page = page_for(url, 375)
        assert page.locator("a[href$='archive.html']").count() >= 1, name
        assert page.locator("link[rel=icon]").count() == 1, name
        form = page.locator("form.signup")
        assert form.get_attribute("action") == "https://studio.example.org/weekly/subscribe"
        assert form.get_attribute("method") == "post"
        assert form.locator("input[name=email][type=email]").count() == 1
        honeypot = form.locator("input[name=website]")
        box = honeypot.bounding_box()
        assert honeypot.count() == 1 and (box is None or box["x"] + box["width"] < 0), name
