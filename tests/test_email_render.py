"""The email edition as rendered: structure every client handles, size, safety, plain text."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.config import load_show
from studio.core.links import https_link
from studio.core.model import Episode, Item, Link
from studio.email.context import draft_context
from studio.email.render import render_email
from studio.ingest import read_episode
from studio.ingest.textwidth import width
from studio.present.content import wrap
from tests.conftest import REPO, make_show

EMAIL_SECTION = """
[email]
from_name = "AI 周报"
from_address = "news@studio.example.org"
unsubscribe_url = "https://studio.example.org/unsubscribe"
"""


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    root = make_show(tmp_path_factory.mktemp("show"))
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write(EMAIL_SECTION)
    return load_show(root / "show.toml")


class Html(HTMLParser):
    """Collects what the structure checks need."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self.in_style = False
        self.style_in_head = []
        self.in_head = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "head":
            self.in_head = True
        if tag == "style":
            self.in_style = True
            self.styles.append("")
            self.style_in_head.append(self.in_head)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.styles[-1] += data
        else:
            self.text.append(data)


def strip_at_media(css: str) -> str:
    """CSS with every @media block (balanced braces) removed."""
    out, i = [], 0
    while i < len(css):
        j = css.find("@media", i)
        if j < 0:
            out.append(css[i:])
            break
        out.append(css[i:j])
        depth, k = 0, css.index("{", j)
        while True:
            depth += {"{": 1, "}": -1}.get(css[k], 0)
            k += 1
            if depth == 0:
                break
        i = k
    return "".join(out).strip()


def check_structure(html: str, allow_mailto: bool = False) -> Html:
    size = len(html.encode("utf-8"))
    assert size < 100_000, f"{size} bytes: Gmail would clip it"
    p = Html()
    p.feed(html)
    names = [t for t, _ in p.tags]
    assert "link" not in names and "<link" not in html.lower()
    assert "script" not in names
    assert len(p.styles) == 2 and p.style_in_head == [True, True]
    assert "@media (prefers-color-scheme:dark)" in p.styles[0]
    assert "@media (max-width" in p.styles[0]
    assert strip_at_media(p.styles[0]) == "", "only @media rules may stay in the first <style>"
    # the second: dark mode for clients without prefers-color-scheme (Outlook.com, the Gmail apps)
    selectors = re.findall(r"(?:^|})([^{}]+)\{", p.styles[1])
    assert selectors and all(re.match(r"\s*(\[data-og[sb][cb]?\]|u\+\.body)", x) for sel in selectors
                             for x in sel.split(",")), selectors
    # Outlook for Windows: a 600 px ghost table, a VML button, its own font rule
    assert '<!--[if mso]><table role="presentation" width="600"' in html and "<v:roundrect" in html
    assert "<!--[if !mso]><!-->" in html
    metas = {a.get("name"): a.get("content") for t, a in p.tags if t == "meta"}
    assert metas.get("color-scheme") == "light dark"
    tables = [a for t, a in p.tags if t == "table"]
    assert tables and all(a.get("role") == "presentation" for a in tables)
    for t, a in p.tags:
        if t == "img":
            assert a.get("alt") is not None, a  # "" for images that illustrate the heading above them
            assert a["src"].startswith("https://")
        if t == "a":
            href = a.get("href", "")
            assert href.startswith("https://") or (allow_mailto and href.startswith("mailto:")), href
        assert "class" not in a or t != "link"
    # inlined: every text element carries its font and colour, every link its colour
    body = html[html.index("<body"):]
    assert 'style="' in body and body.count('style="') > 5
    for tag, style in re.findall(r"<(p|li|h1|h2|h3|a)\b[^>]*?style=\"([^\"]*)\"", body) + [
            (t, "") for t in re.findall(r"<(p|li|h1|h2|h3|a)\b(?![^>]*style=)[^>]*>", body)]:
        assert "color:" in style, (tag, style)
        assert tag == "a" or "font-family:" in style and "sans-serif" in style, (tag, style)
    return p


def seed_paths():
    from tests.conftest import find_seeds

    seeds = find_seeds()
    return sorted(seeds.iterdir()) if seeds else []


def test_seeds_found(seeds_dir):
    assert len(list(seeds_dir.iterdir())) >= 5


@pytest.mark.parametrize("seed", seed_paths(), ids=lambda p: p.name[:3])
def test_every_seed_renders_a_clean_email_under_100kb(show, seed):
    episode = read_episode(seed)
    ctx = draft_context(show, episode)
    parts = render_email(show, ctx)
    p = check_structure(parts.html)
    # every item the HTML shows has its anchor and its listen link (the episode page at its start)
    for item in ctx["items"][: parts.items_shown]:
        assert f'id="item-{item["n"]}"' in parts.html
        assert item["page_url"] in parts.html
    if parts.shortened:
        buttons = re.findall(r'<a class="btn" href="([^"]+)"', parts.html)  # listen, read all (and each in VML)
        assert buttons == [ctx["episode"]["page_url"]] * 2 and parts.html.count("在网页上阅读全部") == 2
    # the plain-text part always has every item, wrapped for 72 columns
    for item in ctx["items"]:
        assert item["page_url"] in parts.text
    check_text_width(parts.text)
    text = "".join(p.text)
    assert episode.title in text


def test_short_seeds_carry_the_full_text(show, seeds_dir):
    """Seeds that fit are not cut: every word of every item is in the HTML."""
    for name in ("003", "004"):
        (seed,) = seeds_dir.glob(f"{name}_*")
        ctx = draft_context(show, read_episode(seed))
        parts = render_email(show, ctx)
        assert not parts.shortened and parts.items_shown == len(ctx["items"])
        visible = html_lib.unescape(re.sub(r"<[^>]+>", "", parts.html))
        for item in ctx["items"]:
            chunks = re.findall(r"[\u4e00-\u9fff]{6,}", item["text"])
            assert chunks and all(c in visible for c in chunks)


def test_oversized_email_shows_its_first_stories_in_full_and_one_read_all_button(show):
    items = [Item(title=f"第{i}条新闻", text=f"第{i}条的正文开头。" + "很长的一段文字，" * 400 + f"第{i}条的结尾。",
                  speech_text="x") for i in range(40)]
    ep = Episode(slug="long", title="长", date=__import__("datetime").date(2024, 1, 1), items=items)
    ctx = draft_context(show, ep)
    parts = render_email(show, ctx)
    check_structure(parts.html)
    assert parts.shortened and 3 <= parts.items_shown < 40
    visible = html_lib.unescape(re.sub(r"<[^>]+>", "", parts.html))
    for i in range(40):  # the first stories whole, beginning to end; none of the others
        shown = i < parts.items_shown
        assert (f"第{i}条的正文开头" in visible) is shown and (f"第{i}条的结尾" in visible) is shown, i
    assert "…" not in visible  # no excerpts
    (button,) = re.findall(r'<a class="btn" href="([^"]+)"[^>]*>(?:<[^>]+>)*在网页上阅读全部 40 条', parts.html)
    assert button == ctx["episode"]["page_url"]
    assert "本期共 40 条，邮件里是前" in visible
    # the reader meets the button after a screenful or two, not after a whole 100 KB budget
    assert len(parts.html.encode("utf-8")) <= 0.5 * show.email.max_html_kb * 1000 + 5000
    assert parts.text.replace("\n", "").count("很长的一段文字") == 40 * 400  # the text part keeps everything


@pytest.mark.parametrize("script", ["episodes/2024-03-27-ai-newsletter.md", "tests/fixtures/browser/2024-05-01-edge-cases.md"])
def test_text_part_gives_each_brief_one_marker_and_no_line_is_a_marker_alone(show, script):
    ep = read_episode(REPO / script)
    text = render_email(show, draft_context(show, ep)).text
    lines = text.splitlines()
    assert not [ln for ln in lines if re.fullmatch(r"\s*[-*+•◦▪]\s*", ln)], "a marker alone on its line"
    briefs = [ln for ln in lines if re.match(r"- \S", ln)]
    assert len(briefs) == len([it for it in ep.items if not it.show_heading]) > 0
    assert not [ln for ln in briefs if re.match(r"- [-*+•◦▪]", ln)]  # one marker, not two


def check_text_width(text: str) -> None:
    for line in text.splitlines():
        if sum(width(c) for c in line) > 72:
            # only an unbreakable URL may stick out, alone after its label
            assert re.search(r"https?://\S{20,}$", line) or re.fullmatch(r"\S+", line), line
            assert sum(width(c) for c in re.sub(r"\S*https?://\S+", "", line)) <= 72, line


def test_header_footer_and_sections(show):
    ep = read_episode(REPO / "episodes" / "2024-03-27-ai-newsletter.md")
    ctx = draft_context(show, ep)
    parts = render_email(show, ctx, unsubscribe_url="https://studio.example.org/unsubscribe?t=abc")
    html, text = parts.html, parts.text
    check_structure(html)
    # hidden preheader first in the body
    body = html[html.index("<body"):]
    first_div = re.search(r"<div[^>]*>", body).group()
    assert "display:none" in first_div
    # header: show, title, date, listen link to the episode page
    assert show.title in html and "2024年3月27日" in html and "▶ 收听完整节目" in html
    assert f'href="{ctx["episode"]["page_url"]}"' in html
    # sections as headings, in order
    heads = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert heads == [s for s in dict.fromkeys(i["section"] for i in ctx["items"]) if s]
    # footer: web version, feed, unsubscribe
    assert "episodes/ai-weekly-2024-03-27/email.html" in html
    assert ctx["feed_url"] in html and "unsubscribe?t=abc" in html
    # images: the stories' and the section banners', each with alt text saying what it shows (the story,
    # the section: never its file name); the masthead's cover is decoration (alt="") and links nowhere
    for url in ep.meta["section_images"].values():
        assert f'src="{url}"' in html
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == 1 + 4 + 5  # masthead, 4 stories, 5 banners
    alts = [re.search(r'alt="([^"]*)"', i).group(1) for i in imgs if 'class="im"' in i]
    assert len(alts) == 9 and all(alts) and not [a for a in alts if re.search(r"\.(jpe?g|png)$", a)]
    assert "MM1：多模态大语言模型预训练的方法、分析和见解" in alts and "工具篇" in alts
    assert "topnews1.jpeg" not in re.sub(r'src="[^"]*"', "", html)
    assert not re.search(r"<a [^>]*>\s*<img [^>]*alt=\"\"", html)  # no link whose only content is a textless image
    # masthead: cover thumbnail, show name, number and date; a bulletproof listen button
    assert 'src="https://studio.example.org/weekly/icon-180.png"' in html and "第 2 期" in html
    assert re.search(r'<a class="btn" href="[^"]+"[^>]*>', html)
    # sources are named after their site, never "链接"
    assert ">链接<" not in html and ">theverge.com</a>" in html
    # footer: why, web version, feed, unsubscribe, postal address when set
    assert "你收到这封邮件" in html
    # plain text: its own rendering, links as URLs, no markup
    assert "<" not in re.sub(r"<https://[^>]+>", "", text)
    assert "https://img2.imgtp.com" not in text.split("\n\n")[0]
    assert "unsubscribe?t=abc" in text and ctx["feed_url"] in text
    check_text_width(text)


def test_script_content_is_escaped_and_unsafe_links_dropped(show):
    evil = Item(
        title='<script>alert(1)</script> "quoted" & more',
        text=(
            "Click [here](javascript:alert(1)) or [there](data:text/html;base64,PHNjcmlwdD4=) "
            "or [ok](http://example.com/a?b=1&c=2) <img src=x onerror=alert(1)>\n\n"
            "![pic](data:image/png;base64,AAAA) ![rel](images/x.png) [rel](/relative/path)"
        ),
        speech_text="x",
        links=[Link(url="javascript:alert(2)", label="bad"), Link(url="https://good.example/src", label="<b>src</b>")],
        image="javascript:alert(3)",
    )
    ep = Episode(slug="evil", title="Evil <i>title</i>", date=__import__("datetime").date(2024, 1, 2), items=[evil],
                 summary="<b>summary</b>")
    parts = render_email(show, draft_context(show, ep))
    html = parts.html
    check_structure(html)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<i>title</i>" not in html and "&lt;i&gt;title&lt;/i&gt;" in html
    assert "<img src=x" not in html and "onerror" not in html.replace("&lt;img src=x onerror", "")
    assert "javascript:" not in html.lower().replace("[here](javascript", "")
    assert "javascript:" not in html.lower() and "data:" not in html.lower()
    assert 'href="https://example.com/a?b=1&amp;c=2"' in html  # http upgraded to https, & escaped
    assert ">here<" not in html and "here" in html  # the text of a dropped link stays, unlinked
    assert 'href="https://good.example/src"' in html and "&lt;b&gt;src&lt;/b&gt;" in html
    assert "javascript:" not in parts.text and "data:" not in parts.text


@settings(max_examples=40, deadline=None)
@given(title=st.text(alphabet=st.sampled_from(list("ab<>&\"'\r\n\t\x00 :/标题")), min_size=1, max_size=30))
def test_any_title_is_text_in_html_and_one_line_in_subject(show, title):
    import datetime as dt
    import email
    from email import policy

    from studio.email.message import build_message, to_address

    item = Item(title=title, text=title, speech_text="x")
    ep = Episode(slug="t", title=title, date=dt.date(2024, 1, 3), items=[item])
    parts = render_email(show, draft_context(show, ep))
    assert "<script" not in parts.html
    for tag in re.findall(r"<(\w+)", parts.html):
        assert tag in {"html", "head", "meta", "title", "style", "body", "div", "table", "tbody", "tr", "td",
                       "p", "h1", "h2", "h3", "a", "b", "br", "img", "i", "ul", "ol", "li", "code", "blockquote",
                       "span", "xml", "o", "v", "w", "center"}  # the last four only in Outlook's conditional comments
    msg = build_message(show, subject=parts.subject, text=parts.text, html=parts.html,
                        to=to_address("a@example.com"), msg_id="<x@example.com>",
                        date=dt.datetime(2024, 1, 3, tzinfo=dt.timezone.utc),
                        unsubscribe_https="https://u.example/x", unsubscribe_mailto="mailto:u@example.com")
    raw = msg.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    parsed = email.message_from_bytes(raw, policy=policy.default)
    # the headers are exactly the ones we set: nothing was injected
    assert sorted(k.lower() for k in parsed.keys()) == sorted(
        ["from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post",
         "mime-version", "content-type"])
    assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])
    assert all(len(line) < 998 for line in head.split(b"\r\n"))


def test_https_link_upgrades_http_and_drops_unsafe_schemes():
    assert https_link("https://a.example/x") == "https://a.example/x"
    assert https_link("http://a.example/x") == "https://a.example/x"
    assert https_link("//a.example/x") == "https://a.example/x"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x", "data:text/html,x", "/rel", "rel.png",
                "mailto:a@b.c", "ftp://x", "https://", "https://a b", None, ""):
        assert https_link(bad) is None, bad


def test_wrap_counts_wide_characters_and_keeps_urls_whole():
    text = "中文" * 100 + " https://example.com/" + "x" * 100 + " end，。"
    out = wrap(text, 72)
    assert all(sum(width(c) for c in l) <= 72 or "https://" in l for l in out.splitlines())
    assert "https://example.com/" + "x" * 100 in out
    assert not any(l.startswith(("，", "。")) for l in out.splitlines())


def test_broken_show_template_is_one_clear_error(tmp_path):
    from studio.core.errors import StudioError

    root = make_show(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "email.html.j2").write_text("<p>{% for x in %}</p>\n", "utf-8")
    show = load_show(root / "show.toml")
    ep = read_episode(REPO / "episodes" / "2024-03-27-ai-newsletter.md")
    with pytest.raises(StudioError) as e:
        render_email(show, draft_context(show, ep))
    assert "email.html.j2:1" in str(e.value) and "email template" in str(e.value)


def test_items_without_heading_are_a_list_under_their_section(show):
    import datetime as dt

    items = [Item(title="头条", text="今天的要闻正文。", speech_text="x", section="新闻"),
             Item(title="快讯一", text="第一条快讯 [链接](https://www.theverge.com/a)", speech_text="x",
                  section="新闻", show_heading=False),
             Item(title="快讯二", text="第二条快讯。", speech_text="x", section="新闻", show_heading=False)]
    ep = Episode(slug="b", title="列表", date=dt.date(2024, 1, 4), items=items)
    html = render_email(show, draft_context(show, ep)).html
    check_structure(html)
    assert re.findall(r"<h3[^>]*>(.*?)</h3>", html) == ["头条"]
    lists = re.findall(r"<ul[^>]*>(.*?)</ul>", html, re.S)
    assert len(lists) == 1 and "第一条快讯" in lists[0] and "第二条快讯" in lists[0]
    assert 'id="item-2"' in lists[0] and 'id="item-3"' in lists[0]
    assert ">theverge.com</a>" in lists[0] and "链接" not in html


def test_accent_colour_and_postal_address_from_show_toml(tmp_path):
    from studio.present.palette import contrast

    root = make_show(tmp_path)
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('[email]\naccent = "#ffaa00"\npostal_address = "1 Example Street, Springfield <b>"\n')
    show = load_show(root / "show.toml")
    ep = read_episode(REPO / "episodes" / "2024-03-27-ai-newsletter.md")
    parts = render_email(show, draft_context(show, ep))
    colours = set(re.findall(r"<a [^>]*style=\"[^\"]*color:(#[0-9a-f]{6})", parts.html))
    assert colours - {"#ffffff"} and all(contrast(c, "#ffffff") >= 4.5 for c in colours - {"#ffffff"})
    assert all(c != "#1d4ed8" for c in colours)  # the show's accent, darkened to read, not the default
    assert "1 Example Street, Springfield &lt;b&gt;" in parts.html
    assert "1 Example Street, Springfield <b>" in parts.text


def test_bad_accent_colour_is_one_clear_error(tmp_path):
    from studio.core.errors import ConfigError

    root = make_show(tmp_path)
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('[email]\naccent = "blue"\n')
    with pytest.raises(ConfigError) as e:
        load_show(root / "show.toml")
    assert "email.accent" in str(e.value)


LINT = REPO / "tools" / "email-lint"


def test_email_uses_only_features_gmail_apple_mail_and_outlook_support(show, tmp_path):
    """caniemail data via doiuse-email; tools/email-lint/allowlist.json lists the exceptions and why."""
    import os
    import shutil
    import subprocess

    node = shutil.which("node")
    if not node or not (LINT / "node_modules" / "doiuse-email").is_dir():
        why = "node or tools/email-lint/node_modules missing (run `npm ci` in tools/email-lint)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    files = []
    for script in sorted((REPO / "episodes").iterdir()) + sorted((REPO / "tests" / "fixtures" / "browser").glob("*.md")):
        path = tmp_path / f"{script.stem}.html"
        path.write_text(render_email(show, draft_context(show, read_episode(script))).html, "utf-8")
        files.append(str(path))
    done = subprocess.run([node, str(LINT / "lint.mjs"), *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # the lint does find what is not allowed
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><div style="position:fixed;background-image:url(x.png)">x</div></body></html>')
    done = subprocess.run([node, str(LINT / "lint.mjs"), str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "position" in done.stdout
