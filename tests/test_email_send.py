"""`studio send` end to end: the real CLI in a subprocess, a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from studio.core import tokens
from studio.present.cjk import punctuate
from tests.conftest import bare_env, run_studio

EPISODE = "episodes/2024-03-27-ai-newsletter.md"
SLUG = "ai-weekly-2024-03-27"
SECRET = "test-secret-不要用"

EMAIL_SECTION = """
[email]
from_name = "AI 周报"
from_address = "news@studio.example.org"
reply_to = "editor@studio.example.org"
unsubscribe_url = "https://studio.example.org/unsubscribe"
unsubscribe_mailto = "unsubscribe@studio.example.org"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps every accepted message; refuses some; can stall one message."""

    def __init__(self, refuse: set[str] = frozenset(), stall_after: int | None = None, greylist=frozenset()):
        self.refuse = set(refuse)
        # refused with a 4xx (once, or as many times as a dict says), then accepted
        self.greylist = dict(greylist) if isinstance(greylist, dict) else dict.fromkeys(greylist, 1)
        self.stall_after = stall_after
        self.quota: int | None = None  # accept this many messages, then refuse every DATA with 554
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if self.greylist.get(address):
            self.greylist[address] -= 1
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.quota is not None and len(self.messages) >= self.quota:
            return "554 5.2.2 quota exceeded"
        if self.stall_after is not None and len(self.messages) >= self.stall_after:
            self.stalled.set()  # the sender is now waiting for our answer to this message
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 try again later"
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 queued"

    def received(self) -> Counter:
        return Counter(r for rcpts, _ in self.messages for r in rcpts)

    def parsed(self, to: str) -> email.message.EmailMessage:
        (raw,) = [data for rcpts, data in self.messages if to in rcpts]
        return email.message_from_bytes(raw, policy=policy.default)


@pytest.fixture
def smtp_server():
    servers = []

    def start(handler: Recorder, **kw) -> int:
        port = free_port()
        c = Controller(handler, hostname="127.0.0.1", port=port, **kw)
        c.start()
        servers.append(c)
        return port

    yield start
    for c in servers:
        c.stop()


@pytest.fixture(scope="module")
def built(tmp_path_factory, warm_show) -> Path:
    """A show with [email] settings whose newsletter episode is built (offline voice, from the examples' cache)."""
    root = warm_show(tmp_path_factory.mktemp("show"))
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write(EMAIL_SECTION)
    proc = run_studio(["build", EPISODE, "--engine", "espeak", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root


def show_file(root: Path, name: str, port: int | None, extra: str = "", security: str = "none") -> str:
    """A variant of show.toml with [smtp] pointing at our server and a send log of its own; the episode is
    built with it (`studio send` sends only the build of the show as it is: clips and pieces come from the
    cache, so this takes a few seconds)."""
    text = (root / "show.toml").read_text("utf-8").replace(
        'from_name = "AI 周报"', f'from_name = "AI 周报"\nsend_log = ".sendlog-{name}.sqlite"')
    text += f'\n[subscribers]\ndb = ".subs-{name}.sqlite"\n'
    if port is not None:
        text += f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\nrate = 1000\n{extra}\n'
    (root / f"{name}.toml").write_text(text, "utf-8")
    build_with(root, f"{name}.toml")
    return f"{name}.toml"


def build_with(root: Path, show: str) -> None:
    proc = run_studio(["--show", show, "build", EPISODE, "--engine", "espeak", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr


def env(**extra: str) -> dict[str, str]:
    return {**bare_env(), "STUDIO_UNSUBSCRIBE_SECRET": SECRET, **extra}


def write_list(root: Path, name: str, addresses: list[str]) -> str:
    rows = ["email,name"] + [f"{a},Reader {i}" for i, a in enumerate(addresses)]
    (root / f"{name}.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return f"{name}.csv"


def send(root: Path, show: str, *args: str, environ: dict | None = None) -> subprocess.CompletedProcess:
    return run_studio(["--show", show, "send", SLUG, *args], cwd=root, env=environ or env())


def test_built_episode_has_a_valid_eml(built):
    raw = (built / "public" / "episodes" / SLUG / "email.eml").read_bytes()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in msg.iter_parts())
    assert msg["Subject"] == "AI 周报：苹果 MM1、Cerebras WSE-3 与微软的 Inflection 交易"
    assert b"Subject: =?utf-8?" in raw or b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]  # encoded on the wire
    assert msg["From"].addresses[0].addr_spec == "news@studio.example.org"
    assert msg["Date"].datetime.isoformat() == "2024-03-27T10:00:00+00:00"  # the show's publish time (10:00 UTC)
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@studio.example.org>")
    assert msg["List-Unsubscribe"] == "<https://studio.example.org/unsubscribe>, <mailto:unsubscribe@studio.example.org?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = msg.get_body(("html",)).get_content()
    on_disk = (built / "public" / "episodes" / SLUG / "email.html").read_text("utf-8")
    assert html.replace("\r\n", "\n").rstrip("\n") == on_disk.rstrip("\n")
    manifest = json.loads((built / "public" / "episodes" / SLUG / "manifest.json").read_text("utf-8"))
    assert manifest["email"]["eml"] == "email.eml"


def test_send_to_a_list_delivers_personalised_messages(built, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    show = show_file(built, "full", port)
    people = [f"reader{i}@example.com" for i in range(4)] + ["名字@example.com".replace("名字", "zh")]
    proc = send(built, show, "--list", write_list(built, "full", people))
    assert proc.returncode == 0, proc.stderr
    assert "sent 5, already sent earlier 0, refused 0" in proc.stdout
    assert handler.received() == Counter(people)
    manifest = json.loads((built / "public" / "episodes" / SLUG / "manifest.json").read_text("utf-8"))
    ids = set()
    for i, to in enumerate(people):
        msg = handler.parsed(to)
        assert msg["To"].addresses[0].addr_spec == to and msg["To"].addresses[0].display_name == f"Reader {i}"
        assert msg["From"].addresses[0].display_name == "AI 周报"
        assert msg["Reply-To"] == "editor@studio.example.org"
        assert msg["Subject"] == manifest["title"]
        ids.add(msg["Message-ID"])
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for item in manifest["items"]:
            title = punctuate(item["title"])  # Chinese punctuation full-width, as readers see it
            assert "".join(title.split()) in "".join(text.split())  # wrapped at 72 columns
            assert f'id="item-{item["n"]}"' in html
        # one-click unsubscribe with a token only this recipient's address verifies against
        link = f"https://studio.example.org/unsubscribe?t={tokens.sign(to, SECRET)}"
        assert msg["List-Unsubscribe"] == f"<{link}>, <mailto:unsubscribe@studio.example.org?subject=unsubscribe%20{tokens.sign(to, SECRET)}>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in text and link.replace("&", "&amp;") in html
        assert tokens.verify(link.split("t=")[1], SECRET) == to
        assert "unsubscribe.invalid" not in html + text
    assert len(ids) == len(people)
    # the log says every one was accepted; a second run sends nothing
    again = send(built, show, "--list", "full.csv")
    assert again.returncode == 0 and "sent 0, already sent earlier 5" in again.stdout
    assert len(handler.messages) == 5


def test_refused_recipient_is_reported_and_the_rest_get_theirs(built, smtp_server):
    handler = Recorder(refuse={"nobody@example.com"})
    port = smtp_server(handler)
    show = show_file(built, "refuse", port)
    people = ["a@example.com", "nobody@example.com", "b@example.com"]
    proc = send(built, show, "--list", write_list(built, "refuse", people), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["sent"] == 2 and summary["refused"][0]["to"] == "nobody@example.com"
    assert "550" in summary["refused"][0]["reason"] and "User unknown" in summary["refused"][0]["reason"]
    assert handler.received() == Counter({"a@example.com": 1, "b@example.com": 1})
    db = sqlite3.connect(built / ".sendlog-refuse.sqlite")
    rows = dict(db.execute("SELECT recipient, status FROM deliveries"))
    assert rows == {"a@example.com": "accepted", "nobody@example.com": "refused", "b@example.com": "accepted"}
    # human summary names the refused address and the reason
    again = send(built, show, "--list", "refuse.csv")
    assert "nobody@example.com" in again.stdout and "550" in again.stdout


def test_temporary_refusal_is_retried_in_the_same_run(built, smtp_server):
    handler = Recorder(greylist={"g@example.com"})
    port = smtp_server(handler)
    show = show_file(built, "grey", port)
    lst = write_list(built, "grey", ["f@example.com", "g@example.com", "h@example.com"])
    first = send(built, show, "--list", lst, "--json")
    assert first.returncode == 0, first.stderr  # no second run needed
    summary = json.loads(first.stdout)
    assert summary["sent"] == 3 and summary["deferred"] == [] and summary["retried"] == 1
    assert handler.received() == Counter({"f@example.com": 1, "g@example.com": 1, "h@example.com": 1})
    db = sqlite3.connect(built / ".sendlog-grey.sqlite")
    assert db.execute("SELECT status, attempts FROM deliveries WHERE recipient = 'g@example.com'").fetchone() == ("accepted", 2)
    db.close()


def test_a_refusal_that_outlasts_the_retries_is_left_for_the_next_run(built, smtp_server):
    handler = Recorder(greylist={"g@example.com": 3})
    port = smtp_server(handler)
    show = show_file(built, "grey2", port, extra="retries = 1")
    lst = write_list(built, "grey2", ["f@example.com", "g@example.com", "h@example.com"])
    first = send(built, show, "--list", lst)
    assert first.returncode == 75, first.stderr  # EX_TEMPFAIL: run again later
    assert "sent 2" in first.stdout and "deferred 1" in first.stdout and "451" in first.stdout
    assert handler.greylist["g@example.com"] == 1  # tried twice in the run: once and one retry
    second = send(built, show, "--list", lst)
    assert "sent 1, already sent earlier 2" in second.stdout
    assert handler.received() == Counter({"f@example.com": 1, "g@example.com": 1, "h@example.com": 1})


def test_killed_run_resumes_and_each_recipient_gets_exactly_one(built, smtp_server):
    """kill -9 while several connections each have a message in flight: the rerun sends exactly the rest."""
    n, k = 24, 5
    handler = Recorder(stall_after=k)
    port = smtp_server(handler)
    show = show_file(built, "kill", port, extra="connections = 4")
    people = [f"p{i}@example.com" for i in range(n)]
    lst = write_list(built, "kill", people)
    proc = subprocess.Popen([sys.executable, "-m", "studio", "--show", show, "send", SLUG, "--list", lst],
                            cwd=built, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert handler.stalled.wait(60), "the sender never reached message k+1"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _in_flight(built / ".sendlog-kill.sqlite") < 4:
            time.sleep(0.05)  # every connection has a message stalled at the server
        rival = send(built, show, "--list", lst)  # a second run at the same time must not send
        assert rival.returncode == 1 and "another `studio send` is running" in rival.stderr
        os.kill(proc.pid, signal.SIGKILL)  # killed while 4 messages are in flight
        proc.wait(30)
    finally:
        handler.release.set()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(built / ".sendlog-kill.sqlite")
    states = dict(db.execute("SELECT recipient, status FROM deliveries"))
    db.close()
    accepted = {p for p, st in states.items() if st == "accepted"}
    assert len(accepted) == k and handler.received() == Counter(accepted)
    assert Counter(states.values()) == Counter({"accepted": k, "sending": 4})  # one in flight per connection

    handler.stall_after = None
    resumed = send(built, show, "--list", lst)
    assert resumed.returncode == 0, resumed.stderr
    assert f"sent {n - k}, already sent earlier {k}" in resumed.stdout
    assert "resent 4 whose delivery an interrupted run left unconfirmed" in resumed.stdout
    assert handler.received() == Counter(people)  # each exactly once
    assert len(handler.messages) == n


def _in_flight(log: Path) -> int:
    if not log.exists():
        return 0
    db = sqlite3.connect(log)
    try:
        return db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sending'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def test_rate_limit_spaces_messages(built, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    show = show_file(built, "rate", port)
    lst = write_list(built, "rate", [f"r{i}@example.com" for i in range(5)])
    start = time.monotonic()
    proc = send(built, show, "--list", lst, "--rate", "10/s")
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert len(handler.messages) == 5 and elapsed >= 0.4


def test_dry_run_sends_nothing_and_test_to_leaves_the_log_alone(built, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    show = show_file(built, "dry", port)
    lst = write_list(built, "dry", ["x@example.com", "y@example.com", "z@example.com"])
    dry = send(built, show, "--list", lst, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send" in dry.stdout and "to 3 of 3" in dry.stdout and "x@example.com" in dry.stdout
    assert handler.messages == [] and not (built / ".sendlog-dry.sqlite").exists()
    test = send(built, show, "--test-to", "me@example.com")
    assert test.returncode == 0, test.stderr
    assert handler.received() == Counter({"me@example.com": 1})
    assert handler.parsed("me@example.com")["Subject"]
    assert not (built / ".sendlog-dry.sqlite").exists()


def test_bad_subscriber_line_is_named_and_nothing_is_sent(built, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    show = show_file(built, "badlist", port)
    (built / "badlist.csv").write_text("email,name\nok@example.com,OK\n\nnot-an-address,Bad\n", "utf-8")
    proc = send(built, show, "--list", "badlist.csv")
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "badlist.csv:4" in line and "not-an-address" in line and "Traceback" not in proc.stderr
    assert handler.messages == []


def test_header_injection_through_a_subscriber_name_is_impossible(built, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    show = show_file(built, "inject", port)
    (built / "inject.csv").write_text('email,name\nv@example.com,"Eve\r\nBcc: all@evil.example"\n', "utf-8")
    proc = send(built, show, "--list", "inject.csv")
    assert proc.returncode == 0, proc.stderr
    msg = handler.parsed("v@example.com")
    assert msg["Bcc"] is None and "evil" not in str(msg["To"].addresses[0].addr_spec)


def test_clear_errors_when_not_built_or_not_configured(built, smtp_server):
    lst = write_list(built, "errs", ["a@example.com"])
    proc = run_studio(["--show", show_file(built, "errs", None), "send", SLUG, "--list", lst], cwd=built, env=env())
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "SMTP is not configured" in line and "[smtp]" in line
    port = smtp_server(Recorder())
    proc = run_studio(["--show", show_file(built, "errs", port), "send", "no-such-episode", "--list", lst], cwd=built, env=env())
    (line,) = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "not built yet" in line and "no-such-episode" in line
    proc = run_studio(["--show", "errs.toml", "send", SLUG, "--list", lst], cwd=built, env=bare_env())
    (line,) = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "STUDIO_UNSUBSCRIBE_SECRET" in line
    # the script path works as well as the slug; a dead server is one line, not a traceback
    dead = show_file(built, "dead", free_port())
    proc = run_studio(["--show", dead, "send", EPISODE, "--list", lst], cwd=built, env=env())
    assert proc.returncode == 1 and "cannot connect to SMTP server 127.0.0.1:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_starttls_and_login_with_the_password_from_the_environment(built, smtp_server, tmp_path):
    import ssl

    import trustme
    from aiosmtpd.smtp import AuthResult

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"studio" and auth_data.password == b"pa55-word"
        logins.append((auth_data.login, ok, session.ssl is not None))
        return AuthResult(success=ok, handled=False)

    handler = Recorder()
    port = smtp_server(handler, tls_context=server_ctx, require_starttls=True, authenticator=authenticator,
                       auth_require_tls=True)
    show = show_file(built, "tls", port, extra='user = "studio"', security="starttls")
    lst = write_list(built, "tls", ["t1@example.com", "t2@example.com"])
    good = env(STUDIO_SMTP_PASSWORD="pa55-word", SSL_CERT_FILE=str(ca_file))
    proc = send(built, show, "--list", lst, environ=good)
    assert proc.returncode == 0, proc.stderr
    assert handler.received() == Counter({"t1@example.com": 1, "t2@example.com": 1})
    assert logins and all(ok and tls for _, ok, tls in logins)
    # no password in the environment: a clear error before connecting
    proc = send(built, show, "--list", lst, environ=env(SSL_CERT_FILE=str(ca_file)))
    assert proc.returncode == 1 and "STUDIO_SMTP_PASSWORD" in proc.stderr
    # a wrong password: one line naming the user
    show2 = show_file(built, "tls2", port, extra='user = "studio"', security="starttls")
    proc = send(built, show2, "--list", lst, environ={**good, "STUDIO_SMTP_PASSWORD": "wrong"})
    assert proc.returncode == 1 and "login as 'studio' refused" in proc.stderr
    # a server certificate we do not trust: refused, nothing sent
    proc = send(built, show2, "--list", lst, environ=env(STUDIO_SMTP_PASSWORD="pa55-word"))
    assert proc.returncode == 1 and "TLS" in proc.stderr
    assert len(handler.messages) == 2


def test_implicit_tls(built, smtp_server, tmp_path):
    import ssl

    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler = Recorder()
    port = smtp_server(handler, ssl_context=server_ctx)
    show = show_file(built, "ssl", port, security="ssl")
    proc = send(built, show, "--list", write_list(built, "ssl", ["s@example.com"]),
                environ=env(SSL_CERT_FILE=str(ca_file)))
    assert proc.returncode == 0, proc.stderr
    assert handler.received() == Counter({"s@example.com": 1})


def test_a_server_refusing_every_message_stops_the_run_and_leaves_the_rest_unsent(built, smtp_server):
    """Issue 11.7: `554 quota exceeded` on every message after 20 is the server's problem, not the recipients'."""
    handler = Recorder()
    handler.quota = 20
    port = smtp_server(handler)
    show = show_file(built, "quota", port)
    people = [f"q{i}@example.com" for i in range(30)]
    lst = write_list(built, "quota", people)
    proc = send(built, show, "--list", lst)
    assert proc.returncode == 1, proc.stdout
    (line,) = proc.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: stopped:") and "554 5.2.2 quota exceeded" in line and "in a row" in line
    assert "Traceback" not in proc.stderr
    assert len(handler.messages) == 20
    db = sqlite3.connect(built / ".sendlog-quota.sqlite")
    states = Counter(st for (st,) in db.execute("SELECT status FROM deliveries"))
    db.close()
    # nobody marked permanently refused: the 5 in a row, and any that were on another connection meanwhile
    assert states["accepted"] == 20 and states["deferred"] >= 5 and set(states) == {"accepted", "deferred"}
    # the server takes mail again: the same command finishes the list, each recipient once
    handler.quota = None
    again = send(built, show, "--list", lst)
    assert again.returncode == 0, again.stderr
    assert "sent 10, already sent earlier 20, refused 0" in again.stdout
    assert handler.received() == Counter(people)


def test_refusals_with_different_replies_do_not_stop_the_run(built, smtp_server):
    dead = [f"dead{i}@example.com" for i in range(7)]  # each refused with its own address in the reply
    handler = Recorder(refuse=set(dead))
    port = smtp_server(handler)
    show = show_file(built, "dead-run", port)
    proc = send(built, show, "--list", write_list(built, "dead-run", dead + ["alive@example.com"]))
    assert proc.returncode == 0, proc.stderr
    assert "refused 7" in proc.stdout and handler.received() == Counter({"alive@example.com": 1})


def test_retry_refused_tries_the_refused_recipients_again(built, smtp_server):
    handler = Recorder(refuse={"full@example.com"})
    port = smtp_server(handler)
    show = show_file(built, "retry", port)
    lst = write_list(built, "retry", ["ok@example.com", "full@example.com"])
    assert "refused 1" in send(built, show, "--list", lst).stdout
    handler.refuse.clear()
    plain = send(built, show, "--list", lst)
    assert "sent 0" in plain.stdout and "--retry-refused" in plain.stdout
    retry = send(built, show, "--retry-refused")
    assert retry.returncode == 0, retry.stderr
    assert "sent 1, already sent earlier 1" in retry.stdout
    assert handler.received() == Counter({"ok@example.com": 1, "full@example.com": 1})


def test_a_subscriber_who_unsubscribes_during_a_run_gets_nothing_more(built, smtp_server):
    handler = Recorder(stall_after=2)
    port = smtp_server(handler)
    show = show_file(built, "leave", port)
    people = [f"l{i}@example.com" for i in range(6)]
    proc = subprocess.Popen([sys.executable, "-m", "studio", "--show", show, "send", SLUG, "--list",
                             write_list(built, "leave", people)],
                            cwd=built, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert handler.stalled.wait(60)
        gone = run_studio(["--show", show, "subscribers", "remove", "l4@example.com"], cwd=built, env=env())
        assert gone.returncode == 0, gone.stderr
    finally:
        handler.stall_after = None
        handler.release.set()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err  # the stalled messages were retried in the same run
    assert "1 unsubscribed while the run was going" in out
    assert handler.received() == Counter(p for p in people if p != "l4@example.com")


def test_a_list_cannot_resubscribe_and_a_dry_run_changes_nothing(built, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    show = show_file(built, "suppress", port)
    gone = run_studio(["--show", show, "subscribers", "remove", "left@example.com"], cwd=built, env=env())
    assert gone.returncode == 0, gone.stderr
    lst = write_list(built, "suppress", ["stay@example.com", "left@example.com", "new@example.com"])
    dry = send(built, show, "--list", lst, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "to 2 of 2 recipients" in dry.stdout and "left@example.com" not in dry.stdout
    assert "1 addresses of the list are unsubscribed" in dry.stdout
    stats = run_studio(["--show", show, "subscribers", "stats", "--json"], cwd=built, env=env())
    assert json.loads(stats.stdout)["active"] == 0  # the dry run imported nothing
    real = send(built, show, "--list", lst)
    assert real.returncode == 0 and "sent 2" in real.stdout, real.stderr
    assert handler.received() == Counter(["stay@example.com", "new@example.com"])
