"""The list against a hostile world (issue 24, findings 9-15, 17): the real `studio listen` over HTTP with
aiosmtpd on 127.0.0.1, the real CLI on real mbox files, Maildirs, FIFOs, devices and sparse files."""

from __future__ import annotations

import json
import mailbox
import os
import re
import resource
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from studio.core import tokens
from tests.conftest import REPO, make_show, run_studio
from tests.test_email_send import Recorder, env, smtp_server  # noqa: F401 (a fixture)
from tests.test_subscribers_web import SECRET, Listen, http, subscribe, wait_for

FIXTURES = REPO / "tests" / "fixtures" / "bounces"


@pytest.fixture(scope="module")
def listshow(tmp_path_factory) -> Path:
    root = make_show(tmp_path_factory.mktemp("hostile-list"))
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('\n[email]\nfrom_address = "news@studio.example.org"\n')
    return root


@pytest.fixture
def lists(listshow, smtp_server):
    started = []

    def start(name: str, extra: str = "", handler: Recorder | None = None) -> tuple[Listen, Recorder]:
        handler = handler or Recorder()
        app = Listen(listshow, name, smtp_server(handler), extra)
        started.append(app)
        return app, handler

    yield start
    for app in started:
        err = app.stop()
        assert "Traceback" not in err, err


def row(app: Listen, address: str) -> dict | None:
    proc = app.studio("subscribers", "list", "--json")
    return next((r for r in map(json.loads, proc.stdout.splitlines()) if r["email"] == address), None)


def confirm_link(smtp: Recorder, address: str, nth: int = -1) -> str:
    mails = [m for rcpts, m in smtp.messages if address in rcpts]
    import email
    from email import policy

    text = email.message_from_bytes(mails[nth], policy=policy.default).get_body(("plain",)).get_content()
    (link,) = re.findall(r"http://127\.0\.0\.1:\d+/confirm\?t=\S+", text)
    return link


def press_confirm(app: Listen, page: str) -> tuple[int, str]:
    """What a reader's browser does on the confirmation page: submit its one form."""
    action = re.search(r'<form class="list" method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    status, _, body = http("POST", urllib.parse.urljoin(app.url, action), b"confirm=1")
    return status, body


# ---- 9: a GET never confirms ---------------------------------------------------------------------------------


def test_get_confirm_shows_one_button_and_only_the_post_confirms(lists):
    app, smtp = lists("getconfirm")
    reader = "scanned@example.com"
    assert subscribe(app.url, reader)[0] == 200
    wait_for(lambda: smtp.received()[reader] == 1)
    link = confirm_link(smtp, reader)
    for _ in range(3):  # a mail scanner prefetching the link, several times
        status, headers, page = http("GET", link)
        assert status == 200 and 'method="post"' in page and "Set-Cookie" not in headers
    assert row(app, reader)["status"] == "pending"
    status, page = press_confirm(app, page)
    assert status == 200 and "订阅成功" in page
    assert row(app, reader)["status"] == "active"
    record = app.studio("subscribers", "export", "--email", reader).stdout
    assert "confirmed from 127.0.0.1" in record
    assert http("GET", link)[0] == 200  # the link again: says so, changes nothing


def test_a_shows_own_list_page_template_from_before_still_gets_the_button(tmp_path, smtp_server):
    """A show that overrode list_page.html.j2 before the confirm button existed: the page still has it."""
    (tmp_path / "own").mkdir()
    root = make_show(tmp_path / "own")
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('\n[email]\nfrom_address = "news@studio.example.org"\n')
    assert run_studio(["template", "copy", "list_page.html.j2"], cwd=root).returncode == 0
    template = root / "templates" / "list_page.html.j2"
    text = template.read_text("utf-8")
    start, end = text.index('{% elif form == "confirm" %}'), text.index('{% elif form == "unsubscribe" %}')
    template.write_text(text[:start] + text[end:], "utf-8")  # the template as it was
    smtp = Recorder()
    app = Listen(root, "own", smtp_server(smtp))
    try:
        assert subscribe(app.url, "own@example.com")[0] == 200
        wait_for(lambda: smtp.received()["own@example.com"] == 1)
        status, _, page = http("GET", confirm_link(smtp, "own@example.com"))
        assert status == 200 and press_confirm(app, page)[0] == 200
        assert row(app, "own@example.com")["status"] == "active"
    finally:
        assert "Traceback" not in app.stop()


# ---- 11: a stranger's post changes nothing -------------------------------------------------------------------


def test_a_strangers_post_changes_nothing_until_the_owner_confirms(lists):
    app, smtp = lists("stranger")
    ann = "ann@example.com"
    assert app.studio("subscribers", "add", ann, "--name", "Ann").returncode == 0
    assert app.studio("subscribers", "remove", ann).returncode == 0
    before = row(app, ann)
    assert before["status"] == "unsubscribed"
    status, _, _ = subscribe(app.url, ann, name="Mallory")
    assert status == 200
    wait_for(lambda: smtp.received()[ann] == 1)  # the owner may want back in: a confirmation goes to them
    assert row(app, ann) == before  # status, name, IPs: all as they were

    pending = "new@example.com"
    assert subscribe(app.url, pending, name="New")[0] == 200
    first = row(app, pending)
    assert first["status"] == "pending" and first["name"] == "New"
    assert subscribe(app.url, pending, name="Mallory")[0] == 200
    assert row(app, pending) == first

    # the owner confirms the mail the stranger's post sent: back in, under their own name
    status, _, page = http("GET", confirm_link(smtp, ann))
    assert press_confirm(app, page)[0] == 200
    after = row(app, ann)
    assert after["status"] == "active" and after["name"] == "Ann" and after["consent_method"] == "double-opt-in"


# ---- 12: only a sent confirmation holds the resend window ------------------------------------------------------


def test_a_confirmation_mail_that_failed_does_not_hold_the_resend_window(lists):
    reader = "greylisted@example.com"
    handler = Recorder(greylist={reader})  # the first mail is refused (451), the next accepted
    app, smtp = lists("resend", "rate_per_ip = 100", handler=handler)
    assert subscribe(app.url, reader)[0] == 200
    wait_for(lambda: not handler.greylist.get(reader))  # the server has refused the first mail
    for _ in range(30):  # the reader tries again: a mail goes out within seconds, not after 10 minutes
        assert subscribe(app.url, reader)[0] == 200
        time.sleep(0.3)
        if smtp.received()[reader]:
            break
    assert smtp.received()[reader] == 1
    assert subscribe(app.url, reader)[0] == 200  # a mail went out: now the window holds
    time.sleep(1)
    assert smtp.received()[reader] == 1


# ---- 13: an unknown charset -----------------------------------------------------------------------------------


def test_an_unknown_form_charset_is_a_400_counted_by_the_limiter(lists):
    app, smtp = lists("charset", "rate_per_ip = 3")
    body = urllib.parse.urlencode({"email": "c@example.com"}).encode()
    status, _, page = http("POST", app.url + "subscribe", body,
                           {"Content-Type": "application/x-www-form-urlencoded; charset=x-no-such-charset"})
    assert status == 400 and "Traceback" not in page
    boundary = "b0undary"
    multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"email\"\r\n"
                 f"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nc@example.com\r\n--{boundary}--\r\n").encode()
    status, _, _ = http("POST", app.url + "subscribe", multipart,
                        {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 400
    status, _, _ = http("POST", app.url + "subscribe", b"email=%ff%fe@example.com",
                        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 400
    assert subscribe(app.url, "good@example.com")[0] == 429  # the three bad posts counted
    assert row(app, "c@example.com") is None and smtp.messages == []
    err = app.stop()
    assert "Traceback" not in err and "Error handling request" not in err, err


# ---- 10: forged complaints ----------------------------------------------------------------------------------


def _arf(to: str, token: str | None = None) -> bytes:
    raw = (FIXTURES / "arf-rcpt-to.eml").read_bytes().decode("utf-8")
    raw = raw.replace("dave@example.net", to)
    if token:  # into the returned message's headers
        raw = raw.replace("\nFrom: news@studio.example.org", "\nList-Unsubscribe: "
                          f"<https://studio.example.org/unsubscribe?t={token}>\nFrom: news@studio.example.org", 1)
    return raw.encode("utf-8")


def test_a_complaint_without_our_token_is_held_reviewable_and_reversible(listshow, tmp_path):
    show = "forged.toml"
    (listshow / show).write_text((listshow / "show.toml").read_text("utf-8")
                                 + '\n[subscribers]\ndb = ".subs-forged.sqlite"\n', "utf-8")

    def studio(*args: str):
        return run_studio(["--show", show, *args], cwd=listshow, env=env())

    for who in ("victim@example.com", "real@example.com"):
        assert studio("subscribers", "add", who).returncode == 0
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(_arf("victim@example.com").replace(b"Message-ID: <", b"Message-ID: <forged-"))
    box.add(_arf("real@example.com", tokens.sign("real@example.com", SECRET)).replace(b"Message-ID: <", b"Message-ID: <real-"))
    box.flush()
    proc = studio("subscribers", "bounces", str(tmp_path / "bounces.mbox"), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["held"] == 1 and result["complaints"] == 1

    rows = {r["email"]: r for r in map(json.loads, studio("subscribers", "list", "--json").stdout.splitlines())}
    assert rows["victim@example.com"]["status"] == "held" and rows["real@example.com"]["status"] == "complained"
    review = studio("subscribers", "complaints")
    assert "victim@example.com" in review.stdout and "real@example.com" not in review.stdout
    assert "abuse" in review.stdout
    refused = studio("subscribers", "add", "victim@example.com")
    assert refused.returncode == 1 and "restore" in refused.stderr and "complaint" in refused.stderr
    restored = studio("subscribers", "restore", "victim@example.com")
    assert restored.returncode == 0 and "held -> active" in restored.stdout
    assert studio("subscribers", "restore", "real@example.com").returncode == 1  # a verified one stays
    history = studio("subscribers", "export", "--email", "victim@example.com").stdout
    assert "held" in history and "restored" in history


def test_an_older_store_gets_the_held_status_without_losing_history(listshow, tmp_path):
    """A store written by the previous schema (no 'held', no requests table) is upgraded in place."""
    import sqlite3

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    con.executescript(OLD_SCHEMA)
    con.execute("INSERT INTO subscribers (email, status, source, created_at, updated_at) VALUES"
                " ('old@example.com', 'active', 'import', 'x', 'x')")
    con.execute("INSERT INTO events (subscriber_id, at, kind, detail) VALUES (1, 'x', 'import', 'old.csv')")
    con.commit()
    con.close()
    from studio.subscribers.store import Store

    with Store(db) as store:
        assert store.hold("old@example.com", "unverified complaint") == "active"
        assert store.status("old@example.com") == "held"
        assert [e["kind"] for e in store.events("old@example.com")] == ["import", "held"]
        assert store.restore("old@example.com") == "active"


OLD_SCHEMA = """
CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    source TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, consent_at TEXT,
    consent_method TEXT, consent_ip TEXT, consent_detail TEXT, confirm_sent_at TEXT,
    soft_bounces INTEGER NOT NULL DEFAULT 0, status_reason TEXT);
CREATE INDEX subscribers_status ON subscribers (status, id);
CREATE TABLE events (id INTEGER PRIMARY KEY, subscriber_id INTEGER NOT NULL REFERENCES subscribers (id)
    ON DELETE CASCADE, at TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE TABLE erased (sha256 TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE reports (message_key TEXT PRIMARY KEY, at TEXT NOT NULL);
"""


def test_a_held_address_can_come_back_through_the_form(lists):
    app, smtp = lists("heldform")
    who = "held@example.com"
    app.studio("subscribers", "add", who)
    from studio.subscribers.store import Store

    with Store(app.root / ".subs-heldform.sqlite") as store:
        store.hold(who, "unverified complaint")
    assert subscribe(app.url, who)[0] == 200
    wait_for(lambda: smtp.received()[who] == 1)
    _, _, page = http("GET", confirm_link(smtp, who))
    assert press_confirm(app, page)[0] == 200 and row(app, who)["status"] == "active"


# ---- 17: the bounce reader reads regular files only, sizes first --------------------------------------------


def _bounces(root: Path, path: str, limit_mb: int = 768) -> subprocess.CompletedProcess:
    """`studio subscribers bounces PATH` with its address space capped: reading 2 GB would fail."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    return subprocess.run([sys.executable, "-m", "studio", "subscribers", "bounces", path, "--json"],
                          cwd=root, env=env(), capture_output=True, text=True, timeout=60, preexec_fn=cap)


@pytest.fixture
def bounce_show(tmp_path: Path) -> Path:
    (tmp_path / "show").mkdir()
    root = make_show(tmp_path / "show")
    (root / "subs.csv").write_text("email\nalice@example.com\n", "utf-8")
    assert run_studio(["subscribers", "import", "subs.csv"], cwd=root, env=env()).returncode == 0
    return root


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo"])
def test_a_device_or_fifo_as_the_mailbox_is_one_line(bounce_show, tmp_path, kind):
    path = "/dev/zero"
    if kind == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    t0 = time.monotonic()
    proc = _bounces(bounce_show, path)
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "not a regular file" in line and path in line


def test_a_maildir_with_fifos_links_and_huge_files_reads_only_what_it_should(bounce_show, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add((FIXTURES / "dsn-hard.eml").read_bytes())
    box.flush()
    new = tmp_path / "Maildir" / "new"
    os.mkfifo(new / "1.fifo")
    os.symlink("/dev/zero", new / "2.zero")
    os.symlink(FIXTURES / "dsn-hard.eml", new / "3.link")
    with open(new / "4.huge", "wb") as f:  # 2 GB, sparse: a reader that loads it whole runs out of memory
        f.truncate(2 << 30)
    t0 = time.monotonic()
    proc = _bounces(bounce_show, str(tmp_path / "Maildir"))
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["messages"] == 5 and result["hard"] == 1 and result["skipped"] == 4


def test_an_mbox_with_a_huge_message_and_endless_line_is_read_in_bounded_pieces(bounce_show, tmp_path):
    path = tmp_path / "big.mbox"
    hard = (FIXTURES / "dsn-hard.eml").read_bytes()
    with open(path, "wb") as f:
        f.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + hard + b"\n")
        f.write(b"From someone Thu Jan  1 00:00:00 2024\nSubject: big\n\n")
        f.seek(f.tell() + (2 << 30))  # 2 GB of NUL bytes with no line end (sparse)
        f.write(b"\n")
    proc = _bounces(bounce_show, str(path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["messages"] == 2 and result["hard"] == 1 and result["skipped"] == 1


# ---- 14, 15: addresses ----------------------------------------------------------------------------------------


def test_addresses_use_idna_2008(bounce_show):
    root = bounce_show
    for given, stored in [("a@straße.de", "a@xn--strae-oqa.de"), ("b@ςa.gr", "b@xn--a-xmb.gr"),
                          ("c@BÜCHER.de", "c@xn--bcher-kva.de")]:
        proc = run_studio(["subscribers", "add", given], cwd=root, env=env())
        assert proc.returncode == 0, proc.stderr
        assert f"added {stored}" in proc.stdout
    listed = run_studio(["subscribers", "list", "--json"], cwd=root, env=env()).stdout
    assert "strasse" not in listed and "xn--a-0mb" not in listed  # not another domain (IDNA 2003: ß->ss, ς->σ)


def test_export_then_import_keeps_every_address_and_name(bounce_show, tmp_path):
    root = bounce_show
    people = [("-2+3@example.org", "-Ann"), ("+plus@example.org", "+1 Bob"), ("=eq@example.org", "=SUM(A1:A9)"),
              ("'-quoted@example.org", "'=kept as typed"), ("plain@example.org", "@handle"),
              ("''=two@example.org", "''-two")]
    for address, name in people:  # `add` takes them as typed (a CSV's leading quote would be read as a guard)
        assert run_studio(["subscribers", "add", f"--name={name}", "--", address], cwd=root, env=env()).returncode == 0
    out = tmp_path / "export.csv"
    assert run_studio(["subscribers", "export", "--out", str(out)], cwd=root, env=env()).returncode == 0
    exported = out.read_text("utf-8")
    assert "\n=" not in exported and ",=" not in exported and ",-" not in exported  # still guarded
    (tmp_path / "other").mkdir()
    other = make_show(tmp_path / "other")
    assert run_studio(["subscribers", "import", str(out)], cwd=other, env=env()).returncode == 0
    listed = [json.loads(x) for x in run_studio(["subscribers", "list", "--json"], cwd=other, env=env()).stdout.splitlines()]
    got = {(r["email"], r["name"]) for r in listed}
    assert {(e.lower(), n) for e, n in people} <= got
