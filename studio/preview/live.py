"""The watch-mode HTTP layer: a reload channel (server-sent events), a small script injected
into served HTML pages, build errors shown on the page, a status page and the email preview.
Links and images under the show's public addresses are served from the preview (`local_urls`).

It wraps whatever request handler `studio.feed.serve.make_server` uses, so byte ranges,
MIME types and its safety rules apply unchanged to everything else.
"""

from __future__ import annotations

import functools
import json
import re
from html import escape
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from studio.core.fsutil import inside
from studio.core.lazy import lazy_pattern
from studio.preview import emailpage
from studio.preview.serve import make_server
from studio.preview.state import MAX_STREAMS, LiveState

PREFIX = "/__studio/"
EVENTS = PREFIX + "events"
STATUS_JSON = PREFIX + "status.json"
PING_SECONDS = 5.0
_EMAIL = lazy_pattern(r"^/__studio/email/([^/]+)/(frame)?$")
_EPISODE = lazy_pattern(r"^/episodes/([^/]+)/")
_BODY_END = lazy_pattern(r"</body\s*>", re.I)

RELOAD_JS = ('<script>/* studio serve --watch */(function(){{var s=new EventSource("{events}?since={gen}");'
             's.addEventListener("reload",function(){{s.close();location.reload()}})}})()</script>')
OVERLAY = ('<div id="studio-errors" role="alert" style="position:fixed;left:0;right:0;bottom:0;z-index:2147483647;'
           'max-height:50vh;overflow:auto;margin:0;padding:12px 16px;background:#7f1d1d;color:#fff;'
           'font:14px/1.45 ui-monospace,monospace;white-space:pre-wrap">{text}</div>')
BADGE = ('<div id="studio-badge" style="position:fixed;right:8px;top:8px;z-index:2147483646;padding:2px 8px;'
         'border-radius:10px;background:#111827cc;color:#fff;font:12px system-ui,sans-serif">{links}</div>')


def live_extras(state: LiveState, page_path: str = "") -> str:
    """What watch mode adds to every HTML page: the reload script, the errors, links to the previews."""
    parts = [RELOAD_JS.format(events=EVENTS, gen=state.generation)]
    errors = state.errors()
    if errors:
        text = "studio: the last build failed; this page shows the last good build (if any).\n\n" + "\n".join(errors)
        parts.append(OVERLAY.format(text=escape(text)))
    links = [f'<a style="color:#93c5fd" href="{PREFIX}">builds</a>']
    m = _EPISODE.match(page_path)
    if m:
        links.append(f'<a style="color:#93c5fd" href="{PREFIX}email/{escape(m.group(1))}/">email preview</a>')
    parts.append(BADGE.format(links=" · ".join(links)))
    return "".join(parts)


def local_urls(html: str, public: list[str]) -> str:
    """`html` with every link and image under the show's public addresses (`public`: base_url,
    media_base_url) made root-relative, so the preview server answers them with what it built (the
    cover, the icons, the pages, the audio) instead of the placeholder or live site. Only attribute
    values and CSS `url(...)` are changed; text a reader sees stays as built."""
    for prefix in sorted({p for p in public if p}, key=len, reverse=True):
        html = re.sub(r"([\"'(]|,\s)" + re.escape(prefix), r"\1/", html)
    return html


def inject(html: str, extras: str) -> str:
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + extras
    at = ends[-1].start()
    return html[:at] + extras + html[at:]


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>{escape(title)}</title><style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}}'
            f'td,th{{padding:2px 10px 2px 0;text-align:left;vertical-align:top}}.e{{color:#b91c1c}}</style></head>'
            f'<body>{body}</body></html>')


def _status_text(ep: dict) -> str:
    if ep.get("status") == "queued":
        return "queued: its email draft meanwhile" if ep.get("draft") else "queued: its last build meanwhile"
    return ep.get("status", "")


def status_page(state: LiveState, heading: str = "Studio builds") -> str:
    data = state.to_json()
    rows = []
    for script, ep in sorted(data["episodes"].items()):
        slug = ep.get("slug")
        links = (f'<a href="/episodes/{escape(slug)}/">page</a> · <a href="{PREFIX}email/{escape(slug)}/">email</a>'
                 if slug and not ep.get("error") else "")
        what = f'<span class="e">{escape(ep["error"])}</span>' if ep.get("error") else escape(_status_text(ep))
        rows.append(f"<tr><td>{escape(script)}</td><td>{what}</td><td>{links}</td></tr>")
    building = f"<p>Building {escape(data['building'])}…</p>" if data["building"] else ""
    show_error = f'<p class="e">{escape(data["show_error"])}</p>' if data["show_error"] else ""
    table = f"<table><tr><th>script</th><th>last build</th><th></th></tr>{''.join(rows)}</table>" if rows else \
        "<p>No episode built yet.</p>"
    return _page(heading, f'<h1>{escape(heading)}</h1>{show_error}{building}{table}<p><a href="/">site</a></p>')


class LiveMixin:
    """Put before the serving handler's class; `live_state` and `quiet` are set by `wrap_handler`."""

    live_state: LiveState

    def do_GET(self):
        if not self._live(head=False):
            super().do_GET()

    def do_HEAD(self):
        if not self._live(head=True):
            super().do_HEAD()

    def _send(self, status: int, body: str | bytes, ctype: str, head: bool = False) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _html(self, status: int, html: str, head: bool, page_path: str = "") -> None:
        html = local_urls(html, self.live_state.public_urls)
        self._send(status, inject(html, live_extras(self.live_state, page_path)), "text/html; charset=utf-8", head)

    def _live(self, head: bool) -> bool:
        """Answer the request if it is watch mode's to answer; False hands it to the serving handler."""
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        if path == EVENTS and head:
            self._send(200, b"", "text/event-stream; charset=utf-8", head)
        elif path == EVENTS:
            self._events(query)
        elif path == STATUS_JSON:
            self._send(200, json.dumps(self.live_state.to_json(), ensure_ascii=False), "application/json", head)
        elif path in (PREFIX, PREFIX.rstrip("/")):
            self._html(200, status_page(self.live_state), head)
        elif _EMAIL.match(path):
            self._email(_EMAIL.match(path), query, head)
        elif path.startswith(PREFIX) or any(p.startswith(".") for p in path.split("/") if p):
            return False  # the serving handler answers 404
        else:
            return self._site_page(url.path, path, head)
        return True

    def _site_page(self, raw_path: str, path: str, head: bool) -> bool:
        file = Path(self.translate_path(raw_path))
        if (file.exists() or file.is_symlink()) and not inside(file, self.directory):
            return False  # through a link out of the output folder: the serving handler answers 404
        if file.is_dir():
            if not raw_path.endswith("/"):
                return False  # the serving handler redirects to dir/
            file = file / "index.html"
            if (file.exists() or file.is_symlink()) and not inside(file, self.directory):
                return False
        if file.suffix.lower() in (".html", ".htm") and file.is_file():
            self._html(200, file.read_text("utf-8", errors="replace"), head, path)
            return True
        if file.suffix.lower() in (".html", ".htm", "") and not file.exists():
            self._html(404, status_page(self.live_state, "Not built (yet)"), head, path)
            return True
        return False

    def _email(self, m: re.Match, query: dict[str, list[str]], head: bool) -> None:
        slug = m.group(1)
        view = self.live_state.draft(slug)
        if view is None:
            built = emailpage.built_episode(Path(self.directory), slug)  # only files inside the folder
            view = emailpage.built_view(built) if built else None
        dark = query.get("dark", ["0"])[0] == "1"
        if view is None:
            self._html(404, status_page(self.live_state, f"No email built for {slug}"), head)
        elif m.group(2):
            frame = local_urls(emailpage.email_frame(view, dark), self.live_state.public_urls)
            self._send(200, frame, "text/html; charset=utf-8", head)
        else:
            phone = query.get("phone", ["0"])[0] == "1"
            self._html(200, emailpage.email_page(view, slug, dark, phone), head, f"/episodes/{slug}/")

    def _events(self, query: dict[str, list[str]]) -> None:
        """Server-sent events: `reload` whenever a build finished after the page was served."""
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            since = 0
        self.close_connection = True
        if not self.live_state.open_stream():
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"more than {MAX_STREAMS} open pages\n", "text/plain")
            return
        try:
            self._stream(since)
        finally:
            self.live_state.close_stream()

    def _stream(self, since: int) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                generation = self.live_state.wait_newer(since, PING_SECONDS)
                if generation > since:
                    self.wfile.write(f"event: reload\ndata: {generation}\n\n".encode())
                    since = generation
                else:
                    self.wfile.write(b": ping\n\n")  # finds closed tabs, keeps proxies from timing out
                self.wfile.flush()
        except OSError:  # the page went away
            return


def wrap_handler(handler, state: LiveState):
    """The serving handler (a class, or a functools.partial of one) with watch mode in front."""
    base, keywords = (handler.func, handler.keywords) if isinstance(handler, functools.partial) else (handler, {})
    cls = type("LiveHandler", (LiveMixin, base), {"live_state": state})
    return functools.partial(cls, **keywords) if keywords else cls


def live_server(directory: Path, host: str, port: int, state: LiveState, quiet: bool = False):
    """`studio serve`'s server for `directory`, with watch mode's pages and reload channel."""
    server = make_server(directory, host, port, quiet=quiet)
    server.RequestHandlerClass = wrap_handler(server.RequestHandlerClass, state)
    return server
