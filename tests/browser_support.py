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
EXAMPLES = ("2023-06-02-ai-compute-weekly.txt", "2024-03-27-ai-newsletter.md")
WIDTHS = (375, 700)
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
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium fonts-noto-cjk)"
    return None


def require_chromium() -> None:
    why = chromium_missing()
    if why and os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {why}")
    if why:
        pytest.skip(why)


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
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 140, 170)).save(buf, "PNG")
    return buf.getvalue()


def route_offline(context, site: Site) -> None:
    """Loopback passes; the show's https URLs come from the output dir; other images get a placeholder."""
    png = placeholder_png()

    def handle(route):
        url = route.request.url
        if url.startswith(site.url) or url.startswith("data:"):
            return route.continue_()
        if url.startswith(site.base_url):
            path = site.out / unquote(urlsplit(url).path[len(urlsplit(site.base_url).path):])
            if path.is_dir():
                path = path / "index.html"
            if path.is_file():
                return route.fulfill(path=str(path))
            return route.fulfill(status=404, body="not found")
        if route.request.resource_type == "image":
            return route.fulfill(status=200, body=png, headers={"Content-Type": "image/png"})
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


def measure_all(site: Site, browser, shots: Path | None = None) -> list[dict]:
    rows = []
    for width in WIDTHS:
        for scheme in SCHEMES:
            context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                          service_workers="block")
            route_offline(context, site)
            page = context.new_page()
            for name, url, ex in pages_of(site):
                page.goto(url, wait_until="load")
                result = audit(page)
                if width == WIDTHS[-1] and scheme == "light":
                    result["fonts"] = platform_fonts(page)
                result.update(name=name, width=width, scheme=scheme,
                              expected_images=ex.images if ex and not name.endswith("transcript") else [])
                if shots:
                    page.screenshot(path=str(shots / f"{name}-{width}-{scheme}.png"), full_page=True)
                rows.append(result)
            context.close()
    return rows


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


def main() -> None:
    import sys
    import tempfile

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site, server = serve_site(Path(sys.argv[1])) if len(sys.argv) > 1 else build_site(Path(tmp))
        with sync_playwright() as p:
            browser = launch(p)
            rows = measure_all(site, browser, screenshot_dir())
            browser.close()
        server.shutdown()
        for r in rows:
            print(r["name"], r["width"], r["scheme"], json.dumps(summary([r]), ensure_ascii=False))
        print("ALL", json.dumps(summary(rows), ensure_ascii=False))


if __name__ == "__main__":
    main()
