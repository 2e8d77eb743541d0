"""The list's life with real parts: `studio listen` (the real CLI) and `studio send` as subprocesses, aiosmtpd on
127.0.0.1, a real HTTP client. Subscribe, confirm from the mail, receive, one-click unsubscribe, receive no more."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from email import policy
from pathlib import Path

import pytest

from studio.core import tokens
from tests.conftest import run_studio
from tests.test_email_send import Recorder, env, free_port, smtp_server  # noqa: F401 (a fixture)

FIRST, SECOND = "episodes/2024-03-27-ai-newsletter.md", "episodes/2023-06-02-ai-compute-weekly.txt"
SECRET = "test-secret-不要用"


@pytest.fixture(scope="module")
def built(tmp_path_factory, warm_show) -> tuple[Path, list[str]]:
    """A show with both example episodes built (offline voice, from the examples' cache); their slugs."""
    root = warm_show(tmp_path_factory.mktemp("listshow"))
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('\n[email]\nfrom_address = "news@studio.example.org"\nunsubscribe_mailto = "unsubscribe@studio.example.org"\n')
    slugs = []
    for ep in (FIRST, SECOND):
        proc = run_studio(["build", ep, "--engine", "espeak", "--json", "--quiet"], cwd=root)
        assert proc.returncode == 0, proc.stderr
        slugs.append(Path(json.loads(proc.stdout)["out"]).name)
    return root, slugs


class Listen:
    """`studio listen` on a free loopback port, with its own store and show file."""

    def __init__(self, root: Path, name: str, smtp_port: int, extra: str = ""):
        self.root, self.port = root, free_port()
        self.show = f"{name}.toml"
        text = (root / "show.toml").read_text("utf-8") + (
            f'\n[subscribers]\ndb = ".subs-{name}.sqlite"\n'
            f'\n[listen]\npublic_url = "http://127.0.0.1:{self.port}/"\n{extra}\n'
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\nrate = 1000\n')
        text = text.replace('from_address = "news@studio.example.org"',
                            f'from_address = "news@studio.example.org"\nsend_log = ".sendlog-{name}.sqlite"')
        (root / self.show).write_text(text, "utf-8")
        self.proc = subprocess.Popen([sys.executable, "-m", "studio", "--show", self.show, "listen", "--port", str(self.port)],
                                     cwd=root, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith(f"Listening on http://127.0.0.1:{self.port}/"), line + self.proc.stderr.read()
        self.url = f"http://127.0.0.1:{self.port}/"

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        return err

    def studio(self, *args: str) -> subprocess.CompletedProcess:
        return run_studio(["--show", self.show, *args], cwd=self.root, env=env())

    def stats(self) -> dict:
        proc = self.studio("subscribers", "stats", "--json")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def status(self, address: str) -> str | None:
        proc = self.studio("subscribers", "list", "--json")
        rows = [json.loads(line) for line in proc.stdout.splitlines()]
        return next((r["status"] for r in rows if r["email"] == address), None)


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8")


def subscribe(url: str, address: str, **extra: str):
    return http("POST", url + "subscribe", urllib.parse.urlencode({"email": address, "website": "", **extra}).encode())


def wait_for(cond, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def world(built, smtp_server):
    root, slugs = built
    started = []

    def start(name: str, extra: str = "") -> tuple[Listen, Recorder]:
        handler = Recorder()
        app = Listen(root, name, smtp_server(handler), extra)
        started.append(app)
        return app, handler

    yield start, slugs
    for app in started:
        err = app.stop()
        assert "Traceback" not in err, err


def test_subscribe_confirm_receive_unsubscribe_receive_nothing(world):
    start, (first, second) = world
    app, smtp = start("life")
    reader = "reader@example.com"

    status, headers, body = subscribe(app.url, reader)
    assert status == 200 and "请查收确认邮件" in body
    assert "Set-Cookie" not in headers and headers["Cache-Control"] == "no-store"
    assert app.status(reader) == "pending"

    wait_for(lambda: smtp.received()[reader] == 1)
    confirmation = smtp.parsed(reader)
    assert "确认订阅" in confirmation["Subject"] and confirmation["List-Unsubscribe"] is None
    (link,) = re.findall(r"http://127\.0\.0\.1:\d+/confirm\?t=\S+", confirmation.get_body(("plain",)).get_content())
    status, headers, page = http("GET", link)  # a page with one button: a prefetching scanner confirms nothing
    assert status == 200 and 'method="post"' in page and app.status(reader) == "pending"
    status, headers, page = http("POST", link, b"confirm=1")
    assert status == 200 and "订阅成功" in page
    assert "max-width:760px" in page  # the site's own style sheet (templates/_style.html.j2)
    assert app.status(reader) == "active"
    events = app.studio("subscribers", "export", "--email", reader).stdout
    assert "double-opt-in" in events and "confirmed from 127.0.0.1" in events

    sent = app.studio("send", first, "--build", "--quiet")  # built with this show file first
    assert sent.returncode == 0, sent.stderr
    assert "sent 1" in sent.stdout
    issue = [email.message_from_bytes(raw, policy=policy.default) for rcpts, raw in smtp.messages if reader in rcpts][-1]
    assert issue["Subject"] != confirmation["Subject"]
    # exactly what a mailbox provider does (RFC 8058): POST the https/http URI of List-Unsubscribe
    # with the body List-Unsubscribe=One-Click, no cookies, not following redirects
    assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (one_click,) = [u for u in re.findall(r"<([^>]+)>", issue["List-Unsubscribe"]) if u.startswith("http")]
    assert one_click.startswith(app.url + "unsubscribe?t=")
    status, headers, _ = http("POST", one_click, b"List-Unsubscribe=One-Click")
    assert status == 200 and "Location" not in headers and "Set-Cookie" not in headers
    assert app.status(reader) == "unsubscribed"

    before = len(smtp.messages)
    nothing = app.studio("send", second, "--build", "--quiet")
    assert nothing.returncode == 1 and "no active subscribers" in nothing.stderr
    app.studio("subscribers", "add", "other@example.com")
    other = app.studio("send", second, "--quiet")
    assert other.returncode == 0 and "sent 1" in other.stdout, other.stderr
    assert [rcpts for rcpts, _ in smtp.messages[before:]] == [["other@example.com"]]
    # importing the reader again cannot resubscribe them; subscribing through the form can (double opt-in)
    (app.root / "again.csv").write_text(f"email\n{reader}\n", "utf-8")
    imported = app.studio("subscribers", "import", "again.csv", "--json")
    assert json.loads(imported.stdout)["suppressed"] == 1 and app.status(reader) == "unsubscribed"


def test_the_unsubscribe_page_needs_a_press_and_get_never_unsubscribes(world):
    start, _ = world
    app, _ = start("page")
    app.studio("subscribers", "add", "p@example.com")
    token = tokens.sign("p@example.com", SECRET)
    status, _, page = http("GET", app.url + "unsubscribe?t=" + token)
    assert status == 200 and 'name="List-Unsubscribe" value="One-Click"' in page and 'method="post"' in page
    assert app.status("p@example.com") == "active"
    action = re.search(r'action="([^"]+)"', page).group(1).replace("&amp;", "&")
    status, _, page = http("POST", urllib.parse.urljoin(app.url + "unsubscribe", action), b"List-Unsubscribe=One-Click")
    assert status == 200 and "已退订" in page and app.status("p@example.com") == "unsubscribed"


def test_bad_input_gets_a_clean_answer_and_changes_nothing(world):
    start, _ = world
    app, smtp = start("bad", "rate_per_ip = 6")
    app.studio("subscribers", "add", "known@example.com")
    before = app.stats()
    forged = tokens.sign("known@example.com", "not-the-secret")
    expired = tokens.sign("known@example.com", SECRET, tokens.CONFIRM, time.time() - 1)
    unsub_as_confirm = tokens.sign("known@example.com", SECRET)  # an unsubscribe token never confirms
    for method, path, data in [
        ("GET", "confirm?t=" + forged, None), ("GET", "confirm?t=" + expired, None),
        ("GET", "confirm?t=" + unsub_as_confirm, None), ("GET", "confirm", None), ("GET", "confirm?t=%00%ff", None),
        ("POST", "confirm?t=" + forged, b"confirm=1"), ("POST", "confirm?t=" + expired, b"confirm=1"),
        ("POST", "confirm?t=" + unsub_as_confirm, b"confirm=1"),
        ("GET", "unsubscribe?t=" + forged, None), ("POST", "unsubscribe?t=" + forged, b"List-Unsubscribe=One-Click"),
        ("POST", "unsubscribe?t=" + tokens.sign("known@example.com", SECRET), b""),  # no One-Click body
        ("POST", "unsubscribe?t=" + "A" * 5000, b"List-Unsubscribe=One-Click"),
    ]:
        status, headers, body = http(method, app.url + path, data)
        assert status == 400, (path, status)
        assert "Traceback" not in body and "Set-Cookie" not in headers
    status, _, body = subscribe(app.url, "not an address")
    assert status == 400 and "邮箱地址无效" in body
    status, _, _ = http("POST", app.url + "subscribe", b"email=" + b"x" * 20000)  # over the body limit
    assert status == 413
    assert app.stats() == before and app.status("known@example.com") == "active"

    # the same answer for a known address, a new one and a bot (honeypot); the bot gets nothing stored
    known = subscribe(app.url, "known@example.com")
    new = subscribe(app.url, "new@example.com")
    bot = subscribe(app.url, "bot@example.com", website="http://spam.example")
    assert known[0] == new[0] == bot[0] == 200 and known[2] == new[2] == bot[2]
    assert app.status("bot@example.com") is None and app.status("known@example.com") == "active"
    wait_for(lambda: smtp.received()["new@example.com"] == 1)
    assert "known@example.com" not in smtp.received() and "bot@example.com" not in smtp.received()

    # a flood from one IP is cut off after rate_per_ip posts, whatever X-Forwarded-For claims (no trusted proxy)
    answers = [http("POST", app.url + "subscribe", urllib.parse.urlencode({"email": f"f{i}@example.com"}).encode(),
                    {"X-Forwarded-For": f"10.0.0.{i}"})[0] for i in range(10)]
    assert answers == [200] + [429] * 9  # the 5 posts above (the oversized one too) already counted
    assert app.stats()["pending"] == 2


def test_listen_refuses_to_start_without_its_settings(built, tmp_path):
    root, _ = built
    (root / "nolisten.toml").write_text((root / "show.toml").read_text("utf-8"), "utf-8")
    proc = run_studio(["--show", "nolisten.toml", "listen", "--port", "0"], cwd=root, env=env())
    assert proc.returncode == 1 and "listen.public_url" in proc.stderr and "Traceback" not in proc.stderr
    base = (root / "show.toml").read_text("utf-8")
    for extra, problem in [('[listen]\npublic_url = "http://example.org/list/"', "'listen.public_url': must be an https"),
                           ('[listen]\ntrusted_proxy = "proxy.local"', "'listen.trusted_proxy': not an IP address"),
                           ('[subscribers]\nsoft_bounce_limit = 0', "'subscribers.soft_bounce_limit'"),
                           ('[listen]\nrate_per_ip = 0', "'listen.rate_per_ip'")]:
        (root / "badlisten.toml").write_text(base + "\n" + extra + "\n", "utf-8")
        proc = run_studio(["--show", "badlisten.toml", "listen", "--port", "0"], cwd=root, env=env())
        (line,) = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and "badlisten.toml" in line and problem in line, line


def test_behind_the_trusted_proxy_each_client_has_its_own_limit(world):
    start, _ = world
    app, _ = start("proxy", 'trusted_proxy = "127.0.0.1"\nrate_per_ip = 1')

    def post(address: str, xff: str) -> int:
        return http("POST", app.url + "subscribe", urllib.parse.urlencode({"email": address}).encode(),
                    {"X-Forwarded-For": xff})[0]

    assert post("a@example.com", "198.51.100.1") == 200
    assert post("b@example.com", "198.51.100.1") == 429
    assert post("c@example.com", "203.0.113.9, 198.51.100.2") == 200  # the proxy's own entry is the last one
    assert post("d@example.com", "198.51.100.2") == 429
    assert post("e@example.com", "not-an-ip") == 200  # falls back to the proxy's address, which has its own limit
    assert post("f@example.com", "") == 429
    assert post("g@example.com", "2001:db8:1:2::1") == 200
    assert post("h@example.com", "2001:db8:1:2::9") == 429  # IPv6: one limit per /64, not per address
    record = app.studio("subscribers", "export", "--email", "c@example.com").stdout
    assert "198.51.100.2" in record and "203.0.113.9" not in record


def test_a_dead_smtp_server_does_not_change_the_answer(built):
    root, _ = built
    app = Listen(root, "deadsmtp", free_port())  # nothing listens there
    try:
        status, _, body = subscribe(app.url, "someone@example.com")
        assert status == 200 and "请查收确认邮件" in body
        time.sleep(0.5)
    finally:
        err = app.stop()
    assert "warning: confirmation mail not sent" in err and "cannot connect" in err and "Traceback" not in err


CHROMIUM = Path("/usr/bin/chromium")


def test_the_form_in_headless_chromium(world, tmp_path):
    """A real browser submits the form, follows the confirmation link and unsubscribes with the button.
    Driven over the Chrome DevTools Protocol with aiohttp's websocket client (no extra dependency)."""
    import asyncio
    import os

    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (/usr/bin/chromium)")
    start, _ = world
    app, smtp = start("browser")
    browser = subprocess.Popen(
        [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'profile'}", "--remote-debugging-address=127.0.0.1",
         "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        devtools = None
        for line in browser.stderr:
            m = re.search(r"DevTools listening on (ws://127\.0\.0\.1:(\d+)/\S+)", line)
            if m:
                devtools = int(m.group(2))
                break
        assert devtools, "chromium did not start its DevTools endpoint"
        asyncio.run(_drive(devtools, app, smtp))
    finally:
        browser.terminate()
        browser.wait(30)


async def _drive(devtools_port: int, app: Listen, smtp: Recorder) -> None:
    import asyncio
    import itertools

    import aiohttp

    async with aiohttp.ClientSession() as http_session:
        async with http_session.get(f"http://127.0.0.1:{devtools_port}/json/list") as r:
            page = next(t for t in await r.json() if t["type"] == "page")
        async with http_session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            ids = itertools.count(1)

            async def call(method: str, **params):
                n = next(ids)
                await ws.send_json({"id": n, "method": method, "params": params})
                async for msg in ws:
                    data = msg.json()
                    if data.get("id") == n:
                        assert "error" not in data, data
                        return data.get("result", {})

            async def shows(action, expect: str) -> None:
                """Do `action`, then wait until the page's text contains `expect`."""
                await action()
                for _ in range(200):
                    await asyncio.sleep(0.05)
                    body = await call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''")
                    if expect in body["result"]["value"]:
                        return
                raise AssertionError(f"the page never showed {expect!r}: {body['result']['value'][:300]!r}")

            await shows(lambda: call("Page.navigate", url=app.url + "subscribe"), "输入你的邮箱地址")
            hidden = await call("Runtime.evaluate",
                                expression="document.getElementById('website').getBoundingClientRect().right <= 0")
            assert hidden["result"]["value"] is True  # people never see the honeypot
            await shows(lambda: call("Runtime.evaluate", expression=(
                "document.getElementById('email').value = 'browser@example.com';"
                "document.querySelector('form.list').submit()")), "请查收确认邮件")
            for _ in range(200):
                if smtp.received()["browser@example.com"]:
                    break
                await asyncio.sleep(0.05)
            mail = smtp.parsed("browser@example.com").get_body(("plain",)).get_content()
            (link,) = re.findall(r"http://127\.0\.0\.1:\d+/confirm\?t=\S+", mail)
            await shows(lambda: call("Page.navigate", url=link), "点击下面的按钮完成订阅")
            assert app.status("browser@example.com") == "pending"  # opening the link confirms nothing
            await shows(lambda: call("Runtime.evaluate", expression="document.querySelector('form.list button').click()"),
                        "订阅成功")
            assert app.status("browser@example.com") == "active"
            token = tokens.sign("browser@example.com", SECRET)
            await shows(lambda: call("Page.navigate", url=app.url + "unsubscribe?t=" + token), "点击下面的按钮")
            assert app.status("browser@example.com") == "active"  # showing the page changes nothing
            await shows(lambda: call("Runtime.evaluate", expression="document.querySelector('form.list button').click()"),
                        "已退订")
            assert app.status("browser@example.com") == "unsubscribed"
            cookies = await call("Network.getAllCookies")
            assert cookies["cookies"] == []
