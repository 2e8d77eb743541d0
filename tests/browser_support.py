"""Headless Chromium for the browser tests: the system's /usr/bin/chromium driven by Playwright.

Both example episodes are built once per session (offline voice) and served on
127.0.0.1 with byte ranges; requests for the show's own https URLs are answered
from the output dir, images on other hosts with a generated placeholder, and
everything else is refused, so no test reaches the network.
Run `python -m tests.browser_support` for the figures (contrast, tap targets, images).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import make_show, run_studio

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
EXAMPLES = ("2023-06-02-ai-compute-weekly.txt", "2024-03-27-ai-newsletter.md", "2024-05-01-edge-cases.md")
FIXTURES = Path(__file__).with_name("fixtures") / "browser"  # scripts beyond the repo's examples (edge cases)
WIDTHS = (375, 1280)
SCHEMES = ("light", "dark")
MIN_CONTRAST = 4.5
MIN_TAP = 44
SHOW_SETTINGS = """
[email]
unsubscribe_url = "https://studio.example.org/unsubscribe"
postal_address = "Studio 周报编辑部 · 北京市海淀区中关村大街 1 号 · 100080"

[site]
signup_url = "https://studio.example.org/weekly/subscribe"
"""
AUDIT_JS = (Path(__file__).with_name("browser_audit.js")).read_text("utf-8")


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None. Only a missing Chromium is a reason (playwright is in the
    test extra: without it the install is broken and the tests fail)."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium fonts-noto-cjk)"
    return None


def require_chromium() -> None:
    why = chromium_missing()
    if why and os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {why}")
    if why:
        pytest.skip(f"browser tests skipped: {why}")


@dataclass
class Example:
    script: Path
    slug: str
    manifest: dict
    images: list[str]  # every image URL the script has (items, texts, section banners)


@dataclass
class Site:
    root: Path
    out: Path
    url: str  # http://127.0.0.1:PORT/
    base_url: str  # the show's https base_url
    examples: list[Example] = field(default_factory=list)


def script_images(script: Path) -> list[str]:
    from studio.core.links import https_link
    from studio.ingest import read_episode

    ep = read_episode(script)
    found: list[str] = [ep.image] if ep.image else []
    for it in ep.items:
        found += [it.image] if it.image else []
        found += re.findall(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)", it.text)
    found += list((ep.meta.get("section_images") or {}).values())
    return list(dict.fromkeys(u for u in (https_link(x) for x in found) if u))


def build_site(dest: Path, cache: Path | None = None) -> tuple[Site, object]:
    """Both examples built into `dest` (starting from the clip and mastering `cache` when given), served on
    loopback. Returns the site and its server."""
    root = make_show(dest)
    if cache is not None:
        shutil.copytree(cache, root / ".studio-cache")
    for script in FIXTURES.glob("*.md"):
        shutil.copy(script, root / "episodes" / script.name)
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write(SHOW_SETTINGS)
    from concurrent.futures import ThreadPoolExecutor

    def build(name: str):  # both at once: builds into one output dir are safe together
        return run_studio(["build", f"episodes/{name}", "--engine", "espeak", "--quiet", "--json"], cwd=root)

    with ThreadPoolExecutor(len(EXAMPLES)) as pool:
        for done in pool.map(build, EXAMPLES):
            assert done.returncode == 0, done.stderr
    return serve_site(root)


def serve_site(root: Path) -> tuple[Site, object]:
    from studio.core.config import load_show
    from studio.preview.serve import make_server

    show = load_show(root / "show.toml")
    out = show.out_dir
    server = make_server(out, port=0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = Site(root, out, f"http://127.0.0.1:{server.server_address[1]}/", show.site_url)
    for name in EXAMPLES:
        for m in out.glob("episodes/*/manifest.json"):
            manifest = json.loads(m.read_text("utf-8"))
            if Path(manifest.get("source", "")).name == name or manifest["slug"] in name:
                break
        else:
            manifest = _manifest_by_date(out, name)
        site.examples.append(Example(root / "episodes" / name, manifest["slug"], manifest,
                                     script_images(root / "episodes" / name)))
    return site, server


def _manifest_by_date(out: Path, name: str) -> dict:
    day = name[:10]
    for m in out.glob("episodes/*/manifest.json"):
        manifest = json.loads(m.read_text("utf-8"))
        if str(manifest.get("date", ""))[:10] == day:
            return manifest
    raise AssertionError(f"no manifest for {name}")


def placeholder_png(width: int = 1200, height: int = 600) -> bytes:
    from PIL import Image, ImageDraw

    buf = io.BytesIO()
    im = Image.new("RGB", (width, height), (120, 140, 170))
    ImageDraw.Draw(im).rectangle([0, 0, width - 1, height - 1], outline=(40, 60, 90), width=max(1, width // 100))
    im.save(buf, "PNG")
    return buf.getvalue()


_SIZE_IN_URL = re.compile(r"/(\d{1,4})x(\d{1,4})/")


def route_offline(context, site: Site) -> None:
    """Loopback passes (the site, the list app); the show's https URLs come from the output dir; other images get a placeholder."""
    png = placeholder_png()

    def handle(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:")):
            return route.continue_()
        if url.startswith(site.base_url):
            path = site.out / unquote(urlsplit(url).path[len(urlsplit(site.base_url).path):])
            if path.is_dir():
                path = path / "index.html"
            if path.is_file():
                return route.fulfill(path=str(path))
            return route.fulfill(status=404, body="not found")
        if route.request.resource_type == "image":  # a size in the URL (/600x800/) gives an image of that size
            sized = _SIZE_IN_URL.search(url)
            body = placeholder_png(int(sized[1]), int(sized[2])) if sized else png
            return route.fulfill(status=200, body=body, headers={"Content-Type": "image/png"})
        return route.abort()

    context.route("**/*", handle)


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def audit(page) -> dict:
    """Loads every image (scrolling lazy ones into view) and measures the page: see browser_audit.js."""
    return page.evaluate(AUDIT_JS)


def platform_fonts(page) -> dict[str, int]:
    """Fonts Chromium really used for the page's text (family -> glyphs), from the DevTools protocol."""
    page.evaluate("""() => { for (const el of document.body.querySelectorAll('*')) {
        if ([...el.childNodes].some(n => n.nodeType === 3 && n.data.trim()) && el.checkVisibility()
            && !['SCRIPT', 'STYLE'].includes(el.tagName)) el.setAttribute('data-audit-text', ''); } }""")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    used: dict[str, int] = {}
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "[data-audit-text]"})["nodeIds"]:
        for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            used[font["familyName"]] = used.get(font["familyName"], 0) + font["glyphCount"]
    cdp.detach()
    return used


def is_serif(family: str) -> bool:
    low = family.lower()
    return ("serif" in low and "sans" not in low) or low.startswith(("times", "georgia", "cambria", "simsun", "songti"))


def screenshot_dir() -> Path | None:
    where = os.environ.get("STUDIO_SCREENSHOTS")
    if not where:
        return None
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path


def pages_of(site: Site) -> list[tuple[str, str, Example]]:
    """(name, url) of every page the tests look at, with its example."""
    out = []
    for ex in site.examples:
        ep = f"{site.url}episodes/{ex.slug}/"
        out += [(f"{ex.slug}-email", ep + "email.html", ex), (f"{ex.slug}-page", ep, ex)]
        if (site.out / "episodes" / ex.slug / "transcript.html").is_file():
            out.append((f"{ex.slug}-transcript", ep + "transcript.html", ex))
    out += [("index", site.url, None), ("archive", site.url + "archive.html", None)]
    return out


def measure_all(site: Site, browser, shots: Path | None = None, lists: "ListServer | None" = None) -> list[dict]:
    """Every page (and each list page when `lists` runs) at each width and scheme, measured by browser_audit.js."""
    rows = []
    for width in WIDTHS:
        for scheme in SCHEMES:
            context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                          service_workers="block")
            route_offline(context, site)
            page = context.new_page()
            visits = [(name, ex, lambda p, u=url: p.goto(u, wait_until="load").status) for name, url, ex in pages_of(site)]
            if lists is not None:
                visits += [(f"list-{kind}", None, lambda p, k=kind: lists.visit(p, k)) for kind in LIST_PAGES]
            for name, ex, go in visits:
                status = go(page)
                result = audit(page)
                if width == WIDTHS[-1] and scheme == "light":
                    result["fonts"] = platform_fonts(page)
                result.update(name=name, width=width, scheme=scheme, status=status,
                              expected_images=ex.images if ex and not name.endswith("transcript") else [])
                if shots:
                    page.screenshot(path=str(shots / f"{name}-{width}-{scheme}.png"), full_page=True)
                rows.append(result)
            context.close()
    return rows


def figures(rows: list[dict]) -> dict:
    """The issue's before/after figures, from measure_all's rows."""
    narrow = [r for r in rows if r["width"] == 375]
    widest = max(narrow, key=lambda r: r["scroll_width"])
    tallest = {}
    for kind in ("email", "page"):
        imgs = [(i["h"], r["name"], r["width"]) for r in rows if r["name"].endswith("-" + kind) for i in r["images"]]
        tallest[kind] = max(imgs) if imgs else None
    lists = [r for r in rows if r["name"].startswith("list-") and r["width"] == max(WIDTHS)]
    return {
        "widest_page_at_375": [widest["scroll_width"], widest["name"]],
        "tallest_image_email": tallest["email"], "tallest_image_page": tallest["page"],
        "double_markers": sum(1 for r in rows if r["width"] == 375 and r["scheme"] == "light"
                              for i in r["items"] if i["markers"] > 1),
        "repeated_headings": sum(len(r["repeated"]) for r in rows if r["width"] == 375 and r["scheme"] == "light"),
        "list_input_width": max((i["w"] for r in lists for i in r["inputs"] if i["type"] == "email"), default=None),
        "email_height_375": {r["name"]: r["page_height"] for r in narrow if r["name"].endswith("-email") and r["scheme"] == "light"},
    }


def summary(rows: list[dict]) -> dict:
    texts = [t for r in rows for t in r["texts"]]
    taps = [t for r in rows for t in r["taps"] if not t["inline"]]
    shown = {(r["name"], src) for r in rows for src in r["expected_images"]
             if any(i["src"] == src and i["ok"] for i in r["images"])}
    expected = {(r["name"], src) for r in rows for src in r["expected_images"]}
    return {
        "min_contrast": round(min(t["ratio"] for t in texts), 2),
        "texts_below_4_5": len([t for t in texts if t["ratio"] < MIN_CONTRAST]),
        "smallest_tap_px": round(min(t["h"] for t in taps), 1) if taps else None,
        "taps_below_44": len([t for t in taps if t["h"] < MIN_TAP]),
        "script_images_shown": f"{len(shown)}/{len(expected)}",
        "serif_stacks": len([t for t in texts if t["serif_fallback"]]),
        "serif_fonts_used": sorted({f for r in rows for f in r.get("fonts", {}) if is_serif(f)}),
        "overflow_375": [r["name"] for r in rows if r["width"] == 375 and r["overflow"] > 0],
    }


# ---- the list's pages (`studio listen`) ---------------------------------------------------------------

LIST_SECRET = "browser-pages-secret"
LIST_PAGES = ("form", "bad_address", "check", "slow", "confirm", "confirmed", "bad_link", "unsubscribe",
              "unsubscribed")  # every page the list app answers with (studio.subscribers.web.TEXTS)


class MailBox:
    """An SMTP handler (aiosmtpd) keeping every message: the confirmation links come from here."""

    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

    def link_for(self, address: str) -> str | None:
        import email
        from email import policy

        for raw in reversed(self.messages):
            msg = email.message_from_bytes(raw, policy=policy.default)
            if address in str(msg["To"]):
                found = re.search(r"http://127\.0\.0\.1:\d+/confirm\?t=\S+", msg.get_body(("plain",)).get_content())
                return found.group() if found else None
        return None


class ListServer:
    """The real `studio listen` (a subprocess) for the built show, with aiosmtpd on loopback for its mail."""

    def __init__(self, site: Site):
        import subprocess
        import sys

        from aiosmtpd.controller import Controller

        from tests.conftest import bare_env

        self.mailbox = MailBox()
        self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=_free_port())
        self.smtp.start()
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/"
        text = (site.root / "show.toml").read_text("utf-8") + (
            f'\n[subscribers]\ndb = ".subs-browser.sqlite"\n'
            f'\n[listen]\npublic_url = "{self.url}"\ntrusted_proxy = "127.0.0.1"\nrate_per_ip = 2\n'
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {self.smtp.port}\nsecurity = "none"\nrate = 1000\n')
        text = text.replace("[email]\n", '[email]\nfrom_address = "news@studio.example.org"\n', 1)
        (site.root / "list.toml").write_text(text, "utf-8")
        self.env = {**bare_env(), "STUDIO_UNSUBSCRIBE_SECRET": LIST_SECRET}
        self.proc = subprocess.Popen([sys.executable, "-m", "studio", "--show", "list.toml", "listen", "--port", str(port)],
                                     cwd=site.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith(f"Listening on {self.url}"), line + self.proc.stderr.read()
        self.count = 0

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        self.smtp.stop()
        return err

    def visit(self, page, kind: str) -> int:
        """Brings `page` to the list page `kind` the way a reader gets there. Returns the HTTP status."""
        import time

        from studio.core import tokens

        self.count += 1
        reader = f"reader{self.count}@example.com"
        page.context.set_extra_http_headers({"X-Forwarded-For": f"10.0.{self.count // 250}.{self.count % 250 + 1}"})
        if kind in ("form", "bad_address", "check", "slow"):
            page.goto(self.url + "subscribe")
            if kind == "form":
                return 200
            if kind == "slow":  # the rate limit (2 posts per address) reached first
                for _ in range(2):
                    page.request.post(self.url + "subscribe", form={"email": f"x{self.count}@example.com"})
            page.fill("input[name=email]", "not an address" if kind == "bad_address" else reader)
            page.evaluate("document.querySelector('form.list').noValidate = true")
            with page.expect_navigation() as nav:
                page.click("form.list button[type=submit]")
            return nav.value.status
        if kind == "bad_link":
            return page.goto(self.url + "confirm?t=not-a-token").status
        if kind in ("confirm", "confirmed"):
            page.request.post(self.url + "subscribe", form={"email": reader})
            deadline = time.monotonic() + 15
            while (link := self.mailbox.link_for(reader)) is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert link, f"no confirmation mail for {reader}"
            status = page.goto(link).status
        else:
            status = page.goto(self.url + "unsubscribe?t=" + tokens.sign(reader, LIST_SECRET)).status
        if kind in ("confirmed", "unsubscribed"):
            with page.expect_navigation() as nav:
                page.click("form.list button[type=submit]")
            status = nav.value.status
        return status


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    import sys
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site, server = serve_site(Path(sys.argv[1])) if len(sys.argv) > 1 else build_site(Path(tmp))
        lists = ListServer(site)
        try:
            with sync_playwright() as p:
                browser = launch(p)
                rows = measure_all(site, browser, screenshot_dir(), lists)
                browser.close()
        finally:
            lists.stop()
            server.shutdown()
        for r in rows:
            print(r["name"], r["width"], r["scheme"], json.dumps(summary([r]), ensure_ascii=False))
        print("ALL", json.dumps(summary(rows), ensure_ascii=False))
        print("FIGURES", json.dumps(figures(rows), ensure_ascii=False))


if __name__ == "__main__":
    main()
