"""The email preview page of `studio serve --watch`: the built email as a recipient sees it,
with dark-mode and 375 px phone-width toggles, and the plain-text part beside it."""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from studio.core.fsutil import inside
from studio.core.layout import EpisodeFiles, OutputLayout
from studio.core.lazy import lazy_pattern
from studio.email.context import draft_context
from studio.email.message import sender
from studio.email.render import render_email
from studio.ingest import read_episode

PHONE_PX, DESKTOP_PX = 375, 640
_SLUG = lazy_pattern(r"[\w\u4e00-\u9fff-]+")
_DARK_MEDIA = lazy_pattern(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
_HEAD = lazy_pattern(r"<head[^>]*>", re.I)


@dataclass
class EmailView:
    """An email to preview: the built one, or a draft rendered from the script while its audio builds."""

    html: str
    text: str
    headers: list[tuple[str, str]]
    draft: bool = False


def built_episode(out: Path, slug: str) -> EpisodeFiles | None:
    """The built episode's files, or None for a slug that is not built (or not a slug), or whose
    email is reached through a link leading out of `out` (never served, as `studio serve` does)."""
    if not _SLUG.fullmatch(slug):
        return None
    files = OutputLayout(out).episode(slug)
    if not all(inside(p, out) for p in (files.email_html, files.email_text, files.email_eml)):
        return None
    return files if files.email_html.is_file() else None


def built_view(files: EpisodeFiles) -> EmailView:
    """The built email of `files` (as `built_episode` returned them: inside the output folder)."""
    html = files.email_html.read_text("utf-8", errors="replace")
    try:
        text = files.email_text.read_text("utf-8", errors="replace")
    except OSError:
        text = "(no plain-text part)"
    try:
        with open(files.email_eml, "rb") as f:
            msg = email.parser.BytesHeaderParser(policy=email.policy.default).parse(f)
        headers = [(k, str(msg[k])) for k in ("Subject", "From", "Reply-To", "List-Unsubscribe") if msg[k]]
    except OSError:
        headers = []
    return EmailView(html, text, headers)


def draft_view(show, script: Path) -> tuple[str, EmailView]:
    """(slug, the email rendered straight from the script, start times estimated); raises StudioError."""
    episode = read_episode(script)
    parts = render_email(show, draft_context(show, episode))
    return episode.slug, EmailView(parts.html, parts.text, [("Subject", parts.subject), ("From", str(sender(show)))],
                                   draft=True)


def email_frame(view: EmailView, dark: bool) -> str:
    """The email's HTML, its dark-mode rules forced on (dark) or off, links opening outside the preview."""
    html = _DARK_MEDIA.sub("@media all" if dark else "@media not all", view.html)
    base = '<base target="_blank">'
    m = _HEAD.search(html)
    return html[:m.end()] + base + html[m.end():] if m else base + html


def _toggle(label: str, on: bool, dark: bool, phone: bool, which: str) -> str:
    flags = {"dark": dark, "phone": phone}
    flags[which] = not flags[which]
    query = "&amp;".join(f"{k}={int(v)}" for k, v in flags.items())
    state = "on" if on else "off"
    return (f'<a class="toggle {state}" role="switch" aria-checked="{str(on).lower()}" '
            f'href="?{query}">{escape(label)}</a>')


def email_page(view: EmailView, slug: str, dark: bool, phone: bool) -> str:
    """The preview page (the caller adds the reload script)."""
    headers = "".join(f"<div><b>{escape(k)}:</b> {escape(v)}</div>" for k, v in view.headers)
    if view.draft:
        headers += ('<div id="draft"><b>Draft</b> rendered from the script while the audio builds '
                    "(start times estimated); the built email replaces it when the build is done.</div>")
    width = PHONE_PX if phone else DESKTOP_PX
    frame = f"frame?dark={int(dark)}"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Email preview · {escape(slug)}</title>
<style>
body{{margin:0;font:14px/1.5 system-ui,sans-serif;background:#f3f4f6;color:#111827}}
body.dark{{background:#0b0b0c;color:#e5e7eb}}
header{{padding:12px 16px;border-bottom:1px solid #9ca3af55}}
nav{{display:flex;gap:8px;margin-top:8px;flex-wrap:wrap}}
.toggle{{padding:3px 12px;border:1px solid #9ca3af;border-radius:14px;text-decoration:none;color:inherit}}
.toggle.on{{background:#2563eb;border-color:#2563eb;color:#fff}}
main{{display:flex;gap:16px;padding:16px;align-items:flex-start;flex-wrap:wrap}}
iframe{{width:{width}px;height:1200px;border:1px solid #9ca3af;display:block;background:#fff}}
section{{flex:1 1 360px;min-width:280px}}
pre{{white-space:pre-wrap;word-break:break-word;margin:0;padding:12px;border:1px solid #9ca3af;background:#fff;color:#111827;font:13px/1.5 ui-monospace,monospace}}
body.dark pre{{background:#1c1c1e;color:#d1d5db}}
h2{{font-size:13px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.05em;color:#6b7280}}
</style></head>
<body class="{'dark' if dark else 'light'}">
<header>{headers}
<nav>{_toggle("Dark mode", dark, dark, phone, "dark")}{_toggle(f"Phone {PHONE_PX} px", phone, dark, phone, "phone")}
<a class="toggle off" href="/episodes/{escape(slug)}/">Episode page</a><a class="toggle off" href="/__studio/">All builds</a></nav>
</header>
<main>
<div><h2>HTML · {width} px{' · dark' if dark else ''}</h2>
<iframe id="email" title="The email" src="{frame}" width="{width}" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
 onload="try{{this.style.height='0';this.style.height=(this.contentDocument.documentElement.scrollHeight+4)+'px'}}catch(e){{}}"></iframe></div>
<section><h2>Plain text</h2><pre id="text">{escape(view.text)}</pre></section>
</main>
</body></html>
"""
