"""Amazon SES as the transport of `studio send` (and of the list's confirmation mails): the real CLI and boto3's
SES v2 client against moto's SES server on 127.0.0.1, and a stand-in in front of it that throttles the way SES
does (429 TooManyRequestsException "Maximum sending rate exceeded", or a used-up daily quota)."""

from __future__ import annotations

import asyncio
import email
import json
import os
import threading
import time
import urllib.request
from collections import Counter, deque
from email import policy
from pathlib import Path

import pytest
from aiohttp import ClientSession, web

from studio.core import tokens
from studio.core.config import load_show
from studio.subscribers.mail import ConfirmMailer
from tests.conftest import bare_env, run_studio
from devtools.smtp_standin import free_port
from tests.test_email_send import SECRET, SLUG, build_with, built, write_list  # noqa: F401 (a fixture)

SENDER_DOMAIN = "studio.example.org"


class Moto:
    def __init__(self):
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.endpoint = f"http://127.0.0.1:{self.server.get_host_and_port()[1]}"

    def client(self):
        import boto3

        return boto3.client("sesv2", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def sent(self) -> list[dict]:
        data = json.load(urllib.request.urlopen(self.endpoint + "/moto-api/data.json"))
        return data.get("ses", {}).get("RawMessage", [])

    def received(self) -> Counter:
        return Counter(m["destinations"][0] for m in self.sent())

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"))


@pytest.fixture(scope="module")
def moto():
    server = Moto()
    yield server
    server.server.stop()


@pytest.fixture
def ses(moto):
    moto.reset()
    moto.client().create_email_identity(EmailIdentity=SENDER_DOMAIN)  # verified (moto verifies at once)
    return moto


class Throttler:
    """Between the sender and moto: at most `max_rate` requests a second, SES's 429 beyond; or, with `quota`,
    SES's daily quota answer after that many messages."""

    def __init__(self, upstream: str, max_rate: float | None = None, quota: int | None = None):
        self.upstream, self.max_rate, self.quota = upstream, max_rate, quota
        self.window: deque = deque()
        self.passed = self.throttled = 0
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _refuse(self, message: str) -> web.Response:
        self.throttled += 1
        return web.json_response({"message": message}, status=429,
                                 headers={"x-amzn-ErrorType": "TooManyRequestsException"})

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.path.endswith("/outbound-emails"):
            now = time.monotonic()
            while self.window and now - self.window[0] > 1.0:
                self.window.popleft()
            if self.quota is not None and self.passed >= self.quota:
                return self._refuse("Daily message quota exceeded.")
            if self.max_rate is not None and len(self.window) >= self.max_rate:
                return self._refuse("Maximum sending rate exceeded.")
            self.window.append(now)
            self.passed += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self.session.request(request.method, self.upstream + request.path_qs, headers=headers,
                                        data=body) as up:
            return web.Response(body=await up.read(), status=up.status,
                                headers={k: v for k, v in up.headers.items()
                                         if k.lower() in ("content-type", "x-amzn-errortype", "x-amzn-requestid")})

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.session = ClientSession(loop=self.loop)
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> "Throttler":
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        async def stop():
            await self.session.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def ses_show(root: Path, name: str, endpoint: str, extra: str = "") -> str:
    """show.toml with [ses] pointing at the stand-in, no [smtp] server at all."""
    text = (root / "show.toml").read_text("utf-8").replace(
        'from_name = "AI 周报"', f'from_name = "AI 周报"\nsend_log = ".sendlog-{name}.sqlite"')
    text += (f'\n[subscribers]\ndb = ".subs-{name}.sqlite"\n\n[smtp]\nrate = 1000\n{extra}\n'
             f'\n[ses]\nregion = "us-east-1"\nendpoint_url = "{endpoint}"\n')
    (root / f"{name}.toml").write_text(text, "utf-8")
    build_with(root, f"{name}.toml")  # send sends only the build of the show as it is
    return f"{name}.toml"


def aws_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in bare_env().items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_CONFIG_FILE=str(tmp / "no-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"), AWS_EC2_METADATA_DISABLED="true",
               STUDIO_UNSUBSCRIBE_SECRET=SECRET)
    return env


def ses_send(root: Path, show: str, *args: str) -> dict:
    proc = run_studio(["--show", show, "send", SLUG, *args, "--json"], cwd=root, env=aws_env(root))
    assert proc.returncode in (0, 1, 75), proc.stderr
    return {**json.loads(proc.stdout), "exit": proc.returncode, "stderr": proc.stderr}


def test_ses_delivers_each_personal_message_once_through_the_pool(built, ses):
    people = [f"ses{i}@example.com" for i in range(40)]
    show = ses_show(built, "ses", ses.endpoint, "connections = 4")
    got = ses_send(built, show, "--list", write_list(built, "ses", people))
    assert got["exit"] == 0 and got["transport"] == "ses" and got["sent"] == 40, got
    assert ses.received() == Counter(people)  # each exactly once
    for m in ses.sent()[:3]:
        to = m["destinations"][0]
        msg = email.message_from_string(m["raw_data"], policy=policy.default)
        assert m["source"] == f"news@{SENDER_DOMAIN}" and msg["To"].addresses[0].addr_spec == to
        assert f"t={tokens.sign(to, SECRET)}" in msg["List-Unsubscribe"]
    again = ses_send(built, show, "--list", "ses.csv")
    assert again["sent"] == 0 and again["already"] == 40 and len(ses.sent()) == 40


def test_ses_throttling_slows_the_pace_and_every_message_still_goes_once(built, ses):
    people = [f"thr{i}@example.com" for i in range(60)]
    with Throttler(ses.endpoint, max_rate=12) as throttler:
        show = ses_show(built, "ses-throttle", throttler.endpoint, "connections = 6")
        got = ses_send(built, show, "--list", write_list(built, "ses-throttle", people))
    assert got["exit"] == 0 and got["sent"] == 60 and got["deferred"] == [], got
    assert ses.received() == Counter(people)
    assert throttler.throttled >= 1 and got["backoffs"] >= 1 and got["retried"] >= throttler.throttled
    assert got["settled_rate"] <= 2 * 12


def test_ses_daily_quota_stops_the_run_and_the_rest_waits(built, ses):
    people = [f"quota{i}@example.com" for i in range(20)]
    with Throttler(ses.endpoint, quota=8) as throttler:
        show = ses_show(built, "ses-quota", throttler.endpoint, "connections = 2")
        lst = write_list(built, "ses-quota", people)
        got = ses_send(built, show, "--list", lst)
        assert got["exit"] == 1 and "daily quota" in got["stderr"] and got["sent"] == 8, got
        assert got["refused"] == [] and len(ses.sent()) == 8
        throttler.quota = None  # a new day
        rest = ses_send(built, show, "--list", lst)
    assert rest["exit"] == 0 and rest["sent"] == 12 and rest["already"] == 8
    assert ses.received() == Counter(people)


def test_ses_refusing_an_unverified_sender_stops_the_run(built, moto):
    moto.reset()  # no verified identity
    people = [f"unv{i}@example.com" for i in range(12)]
    show = ses_show(built, "ses-unverified", moto.endpoint, "connections = 1")
    got = ses_send(built, show, "--list", write_list(built, "ses-unverified", people))
    assert got["exit"] == 1 and "MessageRejected" in got["server_refusal"] and got["refused"] == [], got
    assert moto.sent() == [] and len(got["deferred"]) == 5  # stopped after smtp.stop_after_refusals


def test_confirmation_mail_goes_through_ses(built, ses, monkeypatch):
    env = aws_env(built)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    show = load_show(built / ses_show(built, "ses-confirm", ses.endpoint))
    ConfirmMailer(show).send_confirmation("new@example.com", "https://studio.example.org/confirm?t=x")
    (m,) = ses.sent()
    msg = email.message_from_string(m["raw_data"], policy=policy.default)
    assert m["destinations"][0] == "new@example.com"
    assert "https://studio.example.org/confirm?t=x" in msg.get_body(("plain",)).get_content()
