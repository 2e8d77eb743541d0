"""The email, the site and the list's pages as headless Chromium renders them: both example episodes and
the edge-case script (long bare URLs, portrait/tiny/wide/square images, thirty briefs), 375 and 1280 px,
light and dark. Needs Debian's chromium: skipped, saying so, only where /usr/bin/chromium is absent (and never in CI,
where `.ci/run` installs it)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html
from playwright.sync_api import sync_playwright

from studio.core.config import load_show
from studio.email.context import draft_context
from studio.email.render import render_email
from studio.ingest import read_episode
from studio.present.labels import length
from studio.present.palette import luminance
from tests import browser_support as bs
from tests.conftest import SEEDS
from tests.text_render import W3M, file_names_shown, glued_links, links_running_together, text_of, w3m_dump


@pytest.fixture(scope="module")
def site(tmp_path_factory, examples_built):
    bs.require_chromium()
    built, server = bs.build_site(tmp_path_factory.mktemp("site"), examples_built / ".studio-cache")
    yield built
    server.shutdown()


@pytest.fixture(scope="module")
def lists(site):
    app = bs.ListServer(site)
    yield app
    err = app.stop()
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser(site):
    with sync_playwright() as p:
        b = bs.launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def audits(site, browser, lists):
    """Every page in every variant, measured once (screenshots when STUDIO_SCREENSHOTS names a folder)."""
    return bs.measure_all(site, browser, bs.screenshot_dir(), lists)


@pytest.fixture
def page_for(site, browser):
    contexts = []

    def open_page(url: str, width: int = 375, scheme: str = "light", scripts: bool = True):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                      service_workers="block", java_script_enabled=scripts)
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


def _kind(row) -> str:
    return row["name"].rsplit("-", 1)[-1] if not row["name"].startswith("list-") else "list"


def test_every_page_and_variant_was_measured(audits):
    names = {r["name"] for r in audits}
    assert {"index", "archive"} <= names and len([n for n in names if n.endswith("-email")]) == 3
    assert len([n for n in names if n.endswith("-transcript")]) == 3
    assert {f"list-{k}" for k in bs.LIST_PAGES} <= names
    assert {(r["width"], r["scheme"]) for r in audits} == {(w, s) for w in bs.WIDTHS for s in bs.SCHEMES}
    statuses = {r["name"]: r["status"] for r in audits}
    assert statuses["list-bad_address"] == 400 and statuses["list-bad_link"] == 400 and statuses["list-slow"] == 429
    assert all(statuses[f"list-{k}"] == 200 for k in ("form", "check", "confirm", "confirmed", "unsubscribe",
                                                     "unsubscribed"))


def test_no_text_falls_back_to_a_serif_font(audits):
    for row in audits:
        serif = [t for t in row["texts"] if t["serif_fallback"]]
        assert not serif, f"{_where(row)}: font stack without sans-serif: {serif[:3]}"
        used = [f for f in row.get("fonts", {}) if bs.is_serif(f)]
        assert not used, f"{_where(row)}: Chromium drew text in {used}"
    assert any(r.get("fonts") for r in audits)


def test_chinese_text_asks_for_cjk_fonts_first(audits):
    """A Latin face first draws Chinese quotes and punctuation narrow: the show is Chinese, CJK faces lead."""
    for row in audits:
        for t in row["texts"]:
            if re.search(r"[\u4e00-\u9fff]", t["text"]):
                assert t["font"].lower().lstrip("'\"").startswith("pingfang sc"), f"{_where(row)}: {t}"


def test_every_text_meets_4_5_to_1_contrast(audits):
    for row in audits:
        low = [t for t in row["texts"] if t["ratio"] < bs.MIN_CONTRAST]
        assert not low, f"{_where(row)}: {len(low)} texts under 4.5:1, e.g. {low[:3]}"
        assert len(row["texts"]) > 5


def test_dark_mode_is_dark(audits):
    for row in audits:
        (ground,) = {t["bg"] for t in row["texts"] if t["tag"] == "H1"}
        lum = luminance("#" + "".join(f"{int(v):02x}" for v in ground[4:-1].split(",")))
        assert (lum < 0.05) if row["scheme"] == "dark" else (lum > 0.8), f"{_where(row)}: background {ground}"


def test_tap_targets_are_at_least_44_px_high(audits):
    for row in audits:
        small = [t for t in row["taps"] if not t["inline"] and t["h"] < bs.MIN_TAP]
        assert not small, f"{_where(row)}: tap targets under 44 px: {small[:5]}"
        texts = {t["text"] for t in row["taps"] if not t["inline"]}
        if row["name"].endswith("-email"):  # the listen button, an item's quiet listen link, unsubscribe
            assert {"▶ 收听完整节目", "退订"} <= texts and any(re.fullmatch(r"▶\s收听\s\d+:\d\d", t) for t in texts)
        if row["name"].endswith("-page"):  # the player's play button, among the others
            assert any(t["h"] >= 52 and t["w"] >= 52 for t in row["taps"] if t["text"] == "BUTTON"), row["taps"][:8]


def test_no_horizontal_overflow_at_375_px(audits):
    for row in audits:
        if row["width"] == 375:
            assert row["overflow"] <= 0, f"{_where(row)}: {row['overflow']} px wider than the screen"
    # the edge case holds bare URLs of 150 characters: shown as their site's name
    (edge,) = [r for r in audits if r["name"] == "edge-cases-2024-05-01-email" and r["width"] == 375
               and r["scheme"] == "light"]
    assert not [t for t in edge["texts"] if "https://" in t["text"]]


def test_every_image_of_the_script_appears(audits, site):
    assert sum(len(ex.images) for ex in site.examples) >= 9 + 5  # newsletter 4+5, edge case 4+1
    for row in audits:
        for src in row["expected_images"]:
            shown = [i for i in row["images"] if i["src"] == src and i["ok"]]
            assert shown, f"{_where(row)}: image {src} is not shown"
        for img in row["images"]:
            assert img["ok"], f"{_where(row)}: broken or hidden image {img}"


def test_images_are_capped_and_never_enlarged(audits, site, page_for):
    """No image is taller than 420 px in the email or 560 px on a page, none drawn past its natural size:
    the 600x800 portrait, the 120x80 thumbnail, the 3000x600 panorama, the square."""
    rows = list(audits)
    for ex in site.examples:  # the email also at 700 px, where its column is widest
        page = page_for(f"{site.url}episodes/{ex.slug}/email.html", 700)
        rows.append(dict(bs.audit(page), name=f"{ex.slug}-email", width=700, scheme="light"))
    for row in rows:
        cap = 420 if row["name"].endswith("-email") else 560
        for img in row["images"]:
            if img["content"]:
                assert img["h"] <= cap + 1, f"{_where(row)}: {img['src']} is {img['h']} px tall"
                assert img["w"] <= img["nw"] + 1 and img["h"] <= img["nh"] + 1, f"{_where(row)}: enlarged {img}"
    tiny = [i for r in rows for i in r["images"] if i["src"].endswith("/120x80/tiny.png")]
    assert tiny and all(i["w"] == 120 for i in tiny)
    portrait = [i for r in rows for i in r["images"] if i["src"].endswith("/600x800/portrait.png")]
    assert portrait and all(abs(i["w"] / i["h"] - 0.75) < 0.02 for i in portrait)  # capped, not squashed


def test_pages_declare_color_scheme_and_size_their_images(audits):
    for row in audits:
        assert row["color_scheme"].replace(" ", "") in ("lightdark", "light,dark") or "dark" in row["color_scheme"], row["name"]
        if not row["name"].endswith("-email"):
            unsized = [i["src"] for i in row["images"] if not i["sized"]]
            assert not unsized, f"{_where(row)}: images without width/height: {unsized}"


def test_one_marker_per_list_item(audits):
    briefs = 0
    for row in audits:
        double = [i for i in row["items"] if i["markers"] > 1]
        assert not double, f"{_where(row)}: list items with two markers: {double[:3]}"
        briefs += len([i for i in row["items"] if i["markers"] == 1])
    assert briefs > 100  # the briefs are there, each with its one bullet


def test_no_heading_is_repeated_by_the_text_under_it(audits):
    for row in audits:
        assert not row["repeated"], f"{_where(row)}: headings the text repeats: {row['repeated'][:3]}"


def test_episode_page_puts_content_before_chapters(audits):
    for row in audits:
        if row["name"].endswith("-page"):
            assert row["chapters_height"] <= 60, f"{_where(row)}: chapters take {row['chapters_height']} px"
            gap = row["first_item_top"] - row["chapters_top"]
            assert 0 < gap <= row["chapters_height"] + 200, f"{_where(row)}: the stories start {gap} px lower"


def test_list_pages_are_laid_out_like_the_site(audits):
    for row in audits:
        if not row["name"].startswith("list-"):
            continue
        card = row["card"]
        assert card["w"] <= 560, f"{_where(row)}: card {card}"
        if row["width"] == 1280:
            assert abs(card["x"] - card["right"]) <= 2, f"{_where(row)}: card not centred {card}"
        assert [i for i in row["images"] if i["ok"] and i["w"] >= 64], f"{_where(row)}: no cover"
        for field in row["inputs"]:
            assert field["h"] >= 44, f"{_where(row)}: {field}"
        emails = [f for f in row["inputs"] if f["type"] == "email"]
        if row["name"] in ("list-form", "list-bad_address"):
            assert emails and all(f["w"] <= 560 for f in emails)
        links = {t["text"] for t in row["taps"]}
        assert "全部节目" in links and "AI算力Web3周报" in links  # the site's header and footer


def test_listen_links_are_quiet_and_on_one_line(audits):
    """An item's listen link is one muted 13-14 px line under it, never a row of controls wrapping on a phone."""
    seen = 0
    for row in audits:
        for link in row["listen"]:
            seen += 1
            assert 13 <= link["size"] <= 14, f"{_where(row)}: {link}"
            assert link["lines"] == 1, f"{_where(row)}: the listen link wraps: {link}"
            assert link["color"] == link["row_color"], f"{_where(row)}: not in the muted colour of its line: {link}"
    assert seen > 200  # every item of the three scripts, in the email and on the page


def test_briefs_text_and_link_row_start_at_one_edge(audits):
    for row in audits:
        assert not row["ragged"], f"{_where(row)}: briefs whose lines start at different edges: {row['ragged'][:3]}"


def test_titles_archive_entries_and_chapters_are_not_underlined_and_the_index_has_no_players(audits):
    for row in audits:
        assert not row["underlined"], f"{_where(row)}: underlined title or row links: {row['underlined'][:5]}"
        if row["name"] in ("index", "archive"):
            assert row["audio_players"] == 0, f"{_where(row)}: {row['audio_players']} audio players"


def test_episode_page_is_content_first_with_cover_beside_title_and_downloads_last(audits):
    for row in audits:
        if not row["name"].endswith("-page"):
            continue
        cover, title, player = row["cover_box"], row["title_box"], row["player_box"]
        if row["width"] == 1280:  # the cover beside the title
            assert cover["x"] + cover["w"] <= title["x"] and title["y"] < cover["y"] + cover["h"], _where(row)
            assert 200 <= cover["w"] <= 280, _where(row)
        assert title["y"] < player["y"] < row["chapters_top"] < row["first_item_top"], _where(row)
        assert row["downloads_top"] >= row["last_item_bottom"], f"{_where(row)}: downloads before the stories end"


def test_an_over_size_email_reaches_its_read_all_button_in_a_few_screens(site, page_for):
    """Seed 002 (51 stories) is over the email's size budget: it was 19,553 px tall at 375 px."""
    show = load_show(site.root / "show.toml")
    parts = render_email(show, draft_context(show, read_episode(SEEDS / "002_cb7ccf0ae0b76731.txt")))
    assert parts.shortened
    (site.out / "long-email.html").write_text(parts.html, "utf-8")
    page = page_for(site.url + "long-email.html", 375)
    height = page.evaluate("document.documentElement.scrollHeight")
    (button,) = page.locator("a.btn", has_text="在网页上阅读全部").all()
    assert height <= 9000, f"{height} px tall"
    assert button.bounding_box()["y"] >= height - 600  # one read-all button, at the end of the stories shown


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


def _ready(page) -> None:
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15_000)


def test_chapter_click_seeks_the_player(site, page_for):
    ex = site.examples[1]
    page = page_for(f"{site.url}episodes/{ex.slug}/", 1280)
    _ready(page)
    page.click("details.chapters summary")
    link = page.locator("ol.chapters a.time").nth(3)
    start = float(link.get_attribute("data-start"))
    assert start > 5
    link.click()
    _wait_seek(page, start)
    assert page.url.endswith(f"#t={link.get_attribute('data-start')}")


def test_player_works_from_the_keyboard(site, page_for):
    ex = site.examples[1]
    page = page_for(f"{site.url}episodes/{ex.slug}/", 375)
    _ready(page)
    assert page.locator("#player").is_hidden() and page.locator(".pl").is_visible()
    marks = page.locator(".pl-marks span").count()
    assert marks == len(ex.manifest["items"]) - 1  # a mark on the scrubber where each chapter starts
    page.focus(".pl-play")
    page.keyboard.press("Enter")
    page.wait_for_function("!document.getElementById('player').paused", timeout=15_000)
    assert page.get_attribute(".pl-play", "aria-label") == "暂停"
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('player').paused", timeout=15_000)
    page.focus(".pl-fwd")
    page.keyboard.press("Enter")
    # the seek bar shows the new place at once, not when the seek completes (arrow keys step from it)
    assert float(page.evaluate("document.querySelector('.pl-seek').value")) >= 10
    _wait_seek(page, 15)
    page.keyboard.press("Tab")  # to the speed button
    for rate in (1.25, 1.5, 2, 1):
        page.keyboard.press("Enter")
        assert page.evaluate("document.getElementById('player').playbackRate") == rate
        assert page.inner_text(".pl-speed") == f"{rate:g}×"
    page.focus(".pl-seek")
    before = _current_time(page)
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"document.getElementById('player').currentTime >= {before} + 15", timeout=15_000)
    page.keyboard.press("j")  # back 15 s from anywhere but a text field
    page.wait_for_function(f"document.getElementById('player').currentTime <= {before} + 10", timeout=15_000)


def test_player_is_the_native_one_without_scripts(site, page_for):
    ex = site.examples[1]
    page = page_for(f"{site.url}episodes/{ex.slug}/", 375, scripts=False)
    audio = page.locator("audio#player")
    assert audio.get_attribute("controls") is not None and audio.is_visible()
    box = audio.bounding_box()
    assert box["height"] >= 30 and box["width"] > 300
    assert page.locator(".pl").is_hidden()
    href = page.locator("ol.chapters a.time").first.get_attribute("href")
    assert href.startswith(f"{ex.slug}.mp3") and "#t=" in href  # a media fragment: the browser plays from there


def test_transcript_highlights_the_sentence_being_played_and_seeks_on_click(site, page_for):
    ex = site.examples[0]
    page = page_for(f"{site.url}episodes/{ex.slug}/transcript.html", 375)
    assert page.locator("audio#player track[kind=captions]").count() == 1
    _ready(page)
    stamps = page.locator(".para a.time")
    sentences = page.locator(".para .s")
    assert stamps.count() > 5 and sentences.count() > stamps.count()  # paragraphs of several sentences
    sentence = sentences.nth(sentences.count() // 2)
    start = float(sentence.get_attribute("data-start"))
    sentence.click()
    _wait_seek(page, start)
    page.wait_for_function("document.querySelectorAll('.s.now').length === 1", timeout=15_000)
    now = float(page.locator(".s.now").get_attribute("data-start"))
    assert abs(now - start) < 0.05 or now <= _current_time(page) + 0.1
    stamp = stamps.nth(2)
    stamp.click()
    _wait_seek(page, float(stamp.get_attribute("data-start")))
    # the episode page links the readable transcript, and its player has the captions track
    episode = page_for(f"{site.url}episodes/{ex.slug}/", 375)
    assert episode.locator("a[href='transcript.html']").count() == 1
    assert episode.locator("audio#player track[kind=captions]").get_attribute("src") == "transcript.vtt"


def test_transcript_never_breaks_a_word_or_a_number(site, page_for):
    """Cues are cut wherever a subtitle line is full ("其 2 / 023 年报告", "Character. / ai"); the page
    joins them back: every Latin word and number on it is one the script wrote."""
    from studio.ingest import read_episode

    for ex in site.examples:
        page = page_for(f"{site.url}episodes/{ex.slug}/transcript.html", 1280)
        shown = " ".join(page.locator(".para p").all_inner_texts())
        episode = read_episode(ex.script)
        written = " ".join([episode.title] + [f"{it.title} {it.text}" for it in episode.items])
        known = set(re.findall(r"[A-Za-z0-9]+", written))
        unknown = sorted(set(re.findall(r"[A-Za-z0-9]+", shown)) - known)
        assert not unknown, f"{ex.slug}: words and numbers the script never wrote: {unknown[:10]}"
        paragraphs = page.locator(".para").count()
        stamps = page.locator(".para a.time").count()
        assert paragraphs == stamps > 0  # one timestamp per paragraph
        if ex.slug.startswith("ai-compute"):
            assert "Character.ai" in shown and "Archive.org" in shown
        if ex.slug.startswith("edge-cases"):
            assert "Supercalifragilisticexpialidociouslylongwordwithoutanyhyphenationopportunityatall" in shown
            assert "12345678901234567890123456789" in shown


def test_changing_the_hash_seeks_an_open_page(site, page_for):
    ex = site.examples[1]
    page = page_for(f"{site.url}episodes/{ex.slug}/#t=12", 1280)
    _wait_seek(page, 12)
    page.evaluate("location.hash = '#t=30.5'")
    _wait_seek(page, 30.5)


def test_every_page_links_the_archive_and_offers_email_signup_once(site, page_for):
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
        # the subscribe block once, each app once, the feed's address with a copy button
        assert page.locator("#subscribe").count() == 1
        apps = page.locator("a.chip").all_inner_texts()
        assert apps.count("Apple Podcasts") == 1 and len(apps) == len(set(apps)), (name, apps)
        assert page.locator("#feed-url").inner_text() == "https://studio.example.org/weekly/feed.xml"
        # the email field and its button: one height, the site's style
        field = form.locator("input[type=email]").bounding_box()
        button = form.locator("button").bounding_box()
        assert field["height"] >= 44 and abs(field["height"] - button["height"]) <= 4, name


def test_rss_copy_button_copies_the_feed_address(site, page_for, browser):
    page = page_for(site.url, 1280)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url.rstrip("/"))
    page.click("button[data-copy]")
    assert page.evaluate("navigator.clipboard.readText()") == "https://studio.example.org/weekly/feed.xml"
    assert page.inner_text("button[data-copy]") == "已复制"


# ---- in a text browser (issue 30) ------------------------------------------------------------------------------


def test_in_a_text_rendering_links_stay_apart_and_images_say_what_they_show(site):
    for name, url, ex in bs.pages_of(site):
        rel = url[len(site.url):] or "index.html"
        path = site.out / (rel + "index.html" if rel.endswith("/") else rel)
        html = path.read_text("utf-8")
        together = links_running_together(html)
        assert not together, f"{name}: links run together: {together[:3]}"
        text = text_of(html)
        assert not re.search(r"\[[\w.-]+\.(jpe?g|png|gif|webp)\]", text), f"{name}: an image shows its file name"
        # every link says something: its text or its image's alt text
        for a in lxml_html.fromstring(html).iter("a"):
            words = a.text_content().strip() or " ".join(i.get("alt", "") for i in a.iter("img")).strip()
            assert words, f"{name}: a link with nothing to read: {a.get('href')}"
    index = text_of((site.out / "index.html").read_text("utf-8")).splitlines()
    assert index.count("AI算力Web3周报") == 1, index[:12]  # the show's name once (an episode's title may hold it)
    newsletter = text_of((site.out / "episodes" / site.examples[1].slug / "email.html").read_text("utf-8"))
    assert "[MM1：多模态大语言模型预训练的方法、分析和见解]" in newsletter  # the story's image, described


def test_in_w3m_links_stay_apart_and_content_images_say_what_they_show(site):
    """The same in a real text browser: w3m knows no CSS and no `hidden`, and header/nav are not blocks to it."""
    if not Path(W3M).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{W3M} is missing: .ci/run installs Debian's w3m")
        pytest.skip(f"text-browser test skipped: {W3M} is missing (apt-get install w3m)")
    for name, url, _ in bs.pages_of(site):
        rel = url[len(site.url):] or "index.html"
        html = (site.out / (rel + "index.html" if rel.endswith("/") else rel)).read_text("utf-8")
        dump = w3m_dump(html)
        assert not glued_links(html, dump), f"{name}: links w3m draws together: {glued_links(html, dump)[:3]}"
        assert not file_names_shown(html, dump), f"{name}: w3m shows image file names {file_names_shown(html, dump)}"
    index = w3m_dump((site.out / "index.html").read_text("utf-8"))
    assert index.count("AI算力Web3周报\n") == 1, index[:400]  # the show's name once, as the page's title


def test_email_and_pages_show_one_date_and_duration_style(site):
    """"2023-06-02 · 08:51" read as a time of day: the date is written out and the duration says it is one,
    the same in the email, on the episode page and on the index."""
    index = text_of((site.out / "index.html").read_text("utf-8"))
    for ex in site.examples:
        folder = site.out / "episodes" / ex.slug
        duration = f"时长 {length(ex.manifest['audio']['duration_ms'])}"
        day = dt.date.fromisoformat(str(ex.manifest["date"])[:10])
        written = f"{day.year}年{day.month}月{day.day}日"
        for name, text in (("email", text_of((folder / "email.html").read_text("utf-8"))),
                           ("page", text_of((folder / "index.html").read_text("utf-8"))), ("index", index)):
            assert duration in text and written in text, (ex.slug, name)
            assert not re.search(r"\d{4}-\d\d-\d\d\s*·\s*\d+:\d\d", text), (ex.slug, name)
