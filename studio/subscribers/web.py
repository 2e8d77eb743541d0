"""`studio listen`: the list's web app (aiohttp), meant to run behind a reverse proxy.

    GET  /subscribe           the form (email, honeypot `website`)
    POST /subscribe           -> pending + a confirmation mail; one answer whether the address is new or known
    GET  /confirm?t=...       a page with one button that POSTs (mail scanners prefetch links)
    POST /confirm?t=...       -> active (a signed, expiring token, for one subscribe request)
    GET  /unsubscribe?t=...   a page with one button that POSTs (mail scanners follow GET links)
    POST /unsubscribe?t=...   body List-Unsubscribe=One-Click (RFC 8058) -> unsubscribed, 200

No cookies, no redirects, no tracking; tokens never reach a log.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from html import escape
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the annotations name aiohttp's types; aiohttp itself loads only when the app runs
    from aiohttp import web

from studio.core import tokens
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.secrets import smtp_password, unsubscribe_secret
from studio.mail import transport_name
from studio.present.content import one_line
from studio.present.templating import environment
from studio.site.pages import layout_context
from studio.subscribers.listfile import normalize_address
from studio.subscribers.mail import ConfirmMailer
from studio.subscribers.store import Store, open_store


@cache
def _web():
    from aiohttp import web  # lazy: aiohttp takes ~0.3 s to import; only `studio listen` serves it

    return web


MAX_BODY = 16 * 1024  # bytes of a form post
CONFIRM_FORM = ('<form class="list" method="post" action="confirm?t={token}"><input type="hidden" name="confirm" '
                'value="1"><button type="submit">{label}</button></form>')
RESEND_AFTER = 600.0  # seconds: at most one confirmation mail per address in this time
MAX_TRACKED_IPS = 100_000

PAGE_TEXTS = {
    "zh": {
        "form": ("订阅", ["输入你的邮箱地址，我们会发一封确认邮件。"]),
        "check": ("请查收确认邮件", ["如果这个地址可以订阅，我们已经发出一封确认邮件。请点击邮件里的链接完成订阅。"]),
        "bad_address": ("邮箱地址无效", ["请检查后重新输入。"]),
        "slow": ("请稍后再试", ["来自你的网络的订阅请求太多了。"]),
        "confirm": ("确认订阅", ["点击下面的按钮完成订阅。"]),
        "confirmed": ("订阅成功", ["谢谢！以后每期节目都会发到你的邮箱。每封邮件底部都有退订链接。"]),
        "bad_link": ("链接无效或已过期", ["请重新订阅，或使用最新邮件里的链接。"]),
        "unsubscribe": ("退订", ["点击下面的按钮，就不会再收到这份邮件。"]),
        "unsubscribed": ("已退订", ["你不会再收到这份邮件。"]),
        "email": "邮箱", "subscribe": "订阅", "unsubscribe_button": "退订", "confirm_button": "确认订阅",
    },
    "en": {
        "form": ("Subscribe", ["Enter your email address; we will send you a confirmation email."]),
        "check": ("Check your inbox", ["If this address can subscribe, a confirmation email is on its way. "
                                       "Click the link in it to finish."]),
        "bad_address": ("Not an email address", ["Please check it and try again."]),
        "slow": ("Please try again later", ["Too many subscribe requests from your network."]),
        "confirm": ("Confirm your subscription", ["Press the button to finish subscribing."]),
        "confirmed": ("You are subscribed", ["Thank you! Every new episode will reach your inbox. "
                                             "Every email has an unsubscribe link at the bottom."]),
        "bad_link": ("This link is not valid or has expired", ["Subscribe again, or use the link in the newest email."]),
        "unsubscribe": ("Unsubscribe", ["Press the button and you will get no more emails from this list."]),
        "unsubscribed": ("You are unsubscribed", ["You will get no more emails from this list."]),
        "email": "Email", "subscribe": "Subscribe", "unsubscribe_button": "Unsubscribe",
        "confirm_button": "Confirm",
    },
}


def texts_for(show: Show) -> dict:
    return PAGE_TEXTS["zh" if show.language.lower().startswith("zh") else "en"]


class RateLimiter:
    """At most `limit` events per key in `window` seconds (sliding window, bounded memory)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.hits: collections.OrderedDict[str, collections.deque] = collections.OrderedDict()

    def allow(self, key: str) -> bool:
        now = self.clock()
        q = self.hits.pop(key, None) or collections.deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        ok = len(q) < self.limit
        if ok:
            q.append(now)
        self.hits[key] = q  # most recently seen last
        while len(self.hits) > MAX_TRACKED_IPS:
            self.hits.popitem(last=False)
        return ok


def client_ip(request: web.BaseRequest, trusted_proxy: str) -> str:
    """The peer's address; behind the configured proxy, the address it appended to X-Forwarded-For."""
    peer = request.remote or ""
    if trusted_proxy and peer == trusted_proxy:
        last = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(last))
    return peer


def rate_key(ip: str) -> str:
    """What the rate limit counts: an IPv4 address, or an IPv6 /64 (one host's usual allocation)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if addr.version == 4:
        return str(addr)
    if addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(ipaddress.ip_network(f"{addr}/64", strict=False))


class ListApp:
    def __init__(self, show: Show, store: Store, secret: str, mailer: ConfirmMailer):
        self.show, self.store, self.secret, self.mailer = show, store, secret, mailer
        self.texts = texts_for(show)
        self.limiter = RateLimiter(show.listen.rate_per_ip, show.listen.rate_window)
        self.env = environment(show)
        self.tasks: set[asyncio.Task] = set()
        self.db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")  # one connection, one thread

    async def db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.db_thread, fn, *args)

    def page(self, key: str, status: int = 200, form: str = "", token: str = "") -> web.Response:
        heading, paragraphs = self.texts[key]
        site = layout_context(self.show, self.show.site_url)  # the site's look, its links absolute
        labels = {**site["labels"], "email": self.texts["email"], "subscribe": self.texts["subscribe"],
                  "unsubscribe": self.texts["unsubscribe_button"], "confirm": self.texts["confirm_button"]}
        html = self.env.get_template("list_page.html.j2").render(
            **dict(site, labels=labels), site_url=self.show.site_url, heading=heading, paragraphs=paragraphs,
            form=form, token=token)
        if form == "confirm" and 'action="confirm?t=' not in html:  # a show's own template from before the button
            html = html.replace("</body>", CONFIRM_FORM.format(token=escape(token), label=escape(labels["confirm"]))
                                + "</body>", 1)
        return _web().Response(text=html, status=status, content_type="text/html", charset="utf-8")

    # ---- handlers -------------------------------------------------------------------------

    async def subscribe_form(self, request: web.Request) -> web.Response:
        return self.page("form", form="subscribe")

    async def subscribe(self, request: web.Request) -> web.Response:
        ip = client_ip(request, self.show.listen.trusted_proxy)
        if not self.limiter.allow(rate_key(ip)):  # every post counts, readable or not
            return self.page("slow", 429)
        form = await _form(request)
        if form is None:
            return self.page("bad_address", 400, form="subscribe")
        if form.get("website"):  # the honeypot: a bot filled the hidden field; answer as usual, do nothing
            return self.page("check")
        email = normalize_address(str(form.get("email", ""))[:300])
        if email is None:
            return self.page("bad_address", 400, form="subscribe")
        name = one_line(str(form.get("name", "")))[:100]
        expires = await self.db(self.store.request, email, name, ip, RESEND_AFTER,
                                self.show.subscribers.confirm_hours * 3600)
        if expires is not None:  # in the background: the answer takes as long for a known address as for a new one
            task = asyncio.get_running_loop().create_task(self._send_confirmation(email.lower(), expires))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return self.page("check")

    async def _send_confirmation(self, email: str, expires: int) -> None:
        token = tokens.sign(email, self.secret, tokens.CONFIRM, expires)
        link = self.show.listen.public_url.rstrip("/") + "/confirm?t=" + token
        sent = False
        try:
            await asyncio.to_thread(self.mailer.send_confirmation, email, link)
            sent = True
        except Exception as e:  # noqa: BLE001  (a background task: say it in one line, keep serving)
            print(f"warning: confirmation mail not sent: {e}", file=sys.stderr, flush=True)
        await self.db(self.store.confirmation_mailed, email, expires, sent)  # a failed mail holds no window

    async def confirm_page(self, request: web.Request) -> web.Response:
        token = request.query.get("t", "")
        found = tokens.verify_with_expiry(token, self.secret, tokens.CONFIRM)
        if found is None:
            return self.page("bad_link", 400)
        status = await self.db(self.store.status, found[0])
        if status == "active":
            return self.page("confirmed")
        return self.page("confirm", form="confirm", token=token)

    async def confirm(self, request: web.Request) -> web.Response:
        found = tokens.verify_with_expiry(request.query.get("t", ""), self.secret, tokens.CONFIRM)
        if found is None:
            return self.page("bad_link", 400)
        if await _form(request) is None:
            return self.page("bad_link", 400)
        ip = client_ip(request, self.show.listen.trusted_proxy)
        status = await self.db(self.store.confirm, found[0], ip, found[1])
        return self.page("confirmed") if status == "active" else self.page("bad_link", 400)

    async def unsubscribe_page(self, request: web.Request) -> web.Response:
        token = request.query.get("t", "")
        if tokens.verify(token, self.secret) is None:
            return self.page("bad_link", 400)
        return self.page("unsubscribe", form="unsubscribe", token=token)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        email = tokens.verify(request.query.get("t", ""), self.secret)
        if email is None:
            return self.page("bad_link", 400)
        form = await _form(request)
        if form is None or form.get("List-Unsubscribe") != "One-Click":
            return _web().Response(text="expected the body List-Unsubscribe=One-Click (RFC 8058)\n", status=400)
        await self.db(self.store.set_status, email, "unsubscribed", "one-click unsubscribe")
        return self.page("unsubscribed")

    async def health(self, request: web.Request) -> web.Response:
        return _web().Response(text="ok\n")


async def _form(request: web.Request):
    """The posted form, or None when it is not a form we can read (another type, an unknown charset
    in the request or in a multipart part, bytes that are not that charset)."""
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    try:
        return await request.post()
    except (ValueError, LookupError, UnicodeError):  # LookupError: a charset Python does not know
        return None


def _headers(images: str):
    """The middleware that sets our headers; `images` is the CSP's img-src (the site's host: the cover on every page)."""

    async def headers(request: web.Request, handler):
        try:
            response = await handler(request)
        except _web().HTTPException as e:  # 404, 405, 413: a short plain answer, same headers
            response = _web().Response(text=f"{e.status} {e.reason}\n", status=e.status)
        response.headers.update({
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",  # tokens are in our URLs
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; img-src {images}; "
                                       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        })
        return response

    return headers


def make_app(show: Show, store: Store, secret: str, mailer: ConfirmMailer) -> web.Application:
    web = _web()
    lst = ListApp(show, store, secret, mailer)
    images = " ".join(["'self'", *sorted({_origin(show.site_url), _origin(show.media_url)} - {""})])
    app = web.Application(client_max_size=MAX_BODY, middlewares=[web.middleware(_headers(images))])
    app.add_routes([
        web.get("/", lst.subscribe_form), web.get("/subscribe", lst.subscribe_form),
        web.post("/subscribe", lst.subscribe), web.get("/confirm", lst.confirm_page), web.post("/confirm", lst.confirm),
        web.get("/unsubscribe", lst.unsubscribe_page), web.post("/unsubscribe", lst.unsubscribe),
        web.get("/healthz", lst.health),
    ])

    async def finish_mail(app: web.Application) -> None:
        if lst.tasks:
            await asyncio.wait(list(lst.tasks), timeout=30)
        lst.db_thread.shutdown(wait=True)

    app.on_shutdown.append(finish_mail)
    return app


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def check_ready(show: Show) -> str:
    """The token secret; a one-line error when the app cannot do its job."""
    if not show.listen.public_url:
        raise StudioError("set listen.public_url (where readers reach `studio listen`, e.g. https://example.org/list/)",
                          show.file)
    smtp = transport_name(show) == "smtp"  # Amazon SES needs no [smtp] server
    if smtp and not show.smtp.host:
        raise StudioError("SMTP is not configured: set host in the [smtp] section (confirmation mails)", show.file)
    if smtp and show.smtp.user and not smtp_password(show):
        raise StudioError(f"the SMTP password is not set: put it in the environment variable {show.smtp.password_env}",
                          show.file)
    secret = unsubscribe_secret(show)
    if not secret:
        raise StudioError(f"no secret to sign links: set the environment variable {show.email.secret_env}", show.file)
    return secret


def run(show: Show, host: str, port: int, access_log: bool = False) -> int:
    secret = check_ready(show)
    store = open_store(show)
    app = make_app(show, store, secret, ConfirmMailer(show))

    async def main() -> None:
        if access_log:
            logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
        runner = _web().AppRunner(app, access_log_class=_path_only_log(),
                               access_log=logging.getLogger("studio.listen") if access_log else None)
        await runner.setup()
        site = _web().TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as e:
            await runner.cleanup()
            raise StudioError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
        real = site._server.sockets[0].getsockname()[1]  # port 0 picks one: say which
        print(f"Listening on http://{host}:{real}/ for {show.listen.public_url} (Ctrl-C to stop)", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()

    try:
        asyncio.run(main())
    finally:
        store.close()
    return 0


@cache
def _path_only_log():
    from aiohttp.abc import AbstractAccessLogger  # lazy: with aiohttp

    class PathOnlyLog(AbstractAccessLogger):
        """Access log lines without query strings: they carry tokens."""

        def log(self, request, response, duration) -> None:
            self.logger.info("%s %s %s %s", request.remote, request.method, request.path, response.status)

    return PathOnlyLog
