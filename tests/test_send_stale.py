"""Issue 24, finding 19: `studio send` mails the build of the script as it is now, or nothing; a corrected
edition goes to those who got another one only on request, recorded as a new edition. The real CLI, an SMTP
server (aiosmtpd) on 127.0.0.1, real builds (offline voice)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from studio.send.log import SendLog, read_history
from tests.conftest import bare_env, run_studio
from tests.host_loop_support import loop_show, script
from tests.test_email_send import Recorder, free_port

SLUG = "one"
SCRIPT = "episodes/a.md"
FIRST = script("第一期", "2026-03-01", 1, [("开场", "大家好。"), ("新闻", "旧的说法：本周发布了三款芯片。")], slug=SLUG)
FIXED = FIRST.replace("旧的说法：本周发布了三款芯片。", "更正后的说法：本周发布了两款芯片。")


@pytest.fixture
def inbox():
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


def _show(tmp_path: Path, port: int, readers: list[str]) -> Path:
    root = loop_show(tmp_path / "show", {"a.md": FIRST})
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[email]\nfrom_address = "news@studio.example.org"\n'
                f'unsubscribe_url = "https://studio.example.org/unsubscribe"\n'
                f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrate = 1000\n')
    (root / "readers.csv").write_text("email,name\n" + "".join(f"{r},\n" for r in readers), "utf-8")
    assert studio(root, "subscribers", "import", "readers.csv").returncode == 0
    build = studio(root, "build", SCRIPT)
    assert build.returncode == 0, build.stderr
    return root


def studio(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_studio(["--show", "show.toml", *args] if args[0] != "build" else [*args, "--engine", "espeak", "--quiet"],
                      cwd=root, env={**bare_env(), "STUDIO_UNSUBSCRIBE_SECRET": "stale-test-secret"})


def refused(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr and line.startswith("error: ")
    for needle in needles:
        assert needle in line, line
    return line


def item_text(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()


def test_send_refuses_a_build_older_than_its_script_the_show_or_a_template(tmp_path: Path, inbox):
    port, smtp = inbox
    root = _show(tmp_path, port, ["ann@example.org", "bo@example.org"])
    (root / SCRIPT).write_text(FIXED, "utf-8")  # the host edits, and previews in watch mode (another folder)
    preview = run_studio(["build", SCRIPT, "--engine", "espeak", "--quiet", "--out", ".studio-preview"], cwd=root)
    assert preview.returncode == 0, preview.stderr

    check = studio(root, "check")
    assert check.returncode == 1 and check.stdout.splitlines()[-1].endswith("not ready to publish: do the todo items first")
    assert f"todo   {SCRIPT}: changed since its build in public/episodes/{SLUG}/" in check.stdout

    line = refused(studio(root, "send", SCRIPT), SCRIPT, "changed since its build", "nothing sent",
                   f"studio build {SCRIPT}", "--build")
    refused(studio(root, "send", SLUG), SCRIPT, "changed since its build")  # by slug: its script is known
    refused(studio(root, "send", SLUG, "--test-to", "me@example.org"), "changed since its build")
    dry = studio(root, "send", SCRIPT, "--dry-run")
    assert dry.returncode == 0 and f"a real run would stop: {line.removeprefix('error: ')}" in dry.stdout
    assert smtp.messages == []

    (root / SCRIPT).write_text(FIRST, "utf-8")  # the same bytes as built: current again
    assert "a real run would stop" not in studio(root, "send", SCRIPT, "--dry-run").stdout
    show_toml = (root / "show.toml").read_text("utf-8")
    (root / "show.toml").write_text(show_toml.replace("每周一期", "每周二期"), "utf-8")
    refused(studio(root, "send", SCRIPT), "changed since its build", "show.toml")
    (root / "show.toml").write_text(show_toml, "utf-8")
    assert studio(root, "template", "copy", "email.txt.j2").returncode == 0
    with open(root / "templates" / "email.txt.j2", "a", encoding="utf-8") as f:
        f.write("\nP.S.\n")
    refused(studio(root, "send", SCRIPT), "changed since its build", "a template")
    assert smtp.messages == []

    (root / SCRIPT).write_text(FIXED, "utf-8")
    sent = studio(root, "send", SCRIPT, "--build", "--quiet")  # asked to build first: the current text goes out
    assert sent.returncode == 0, sent.stderr
    assert "Built 'one' first (--build)." in sent.stdout and "sent 2" in sent.stdout
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == ["ann@example.org", "bo@example.org"]
    assert all("更正后的说法" in item_text(raw) and "P.S." in item_text(raw) for _, raw in smtp.messages)


def test_not_built_says_so_and_build_first_sends(tmp_path: Path, inbox):
    port, smtp = inbox
    root = _show(tmp_path, port, ["ann@example.org"])
    (root / "episodes" / "b.md").write_text(script("第二期", "2026-03-08", 2, [("一", "第二期内容。")], slug="two"), "utf-8")
    refused(studio(root, "send", "episodes/b.md"), "'two' is not built yet", "--build")
    sent = studio(root, "send", "episodes/b.md", "--build", "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["built"] is True and json.loads(sent.stdout)["sent"] == 1


def test_a_corrected_edition_goes_only_on_request_to_those_who_got_another(tmp_path: Path, inbox):
    port, smtp = inbox
    root = _show(tmp_path, port, ["ann@example.org", "bo@example.org", "cy@example.org"])
    first = studio(root, "send", SCRIPT)
    assert first.returncode == 0 and "sent 3" in first.stdout, first.stderr
    ids = {rcpts[0]: message_from_bytes(raw, policy=policy.default)["Message-ID"] for rcpts, raw in smtp.messages}

    (root / SCRIPT).write_text(FIXED, "utf-8")
    again = studio(root, "send", SCRIPT, "--build", "--quiet")  # the corrected build: nobody is mailed twice
    assert again.returncode == 0, again.stderr
    assert "sent 0, already sent earlier 3" in again.stdout
    assert f"3 of those already sent got an earlier edition with other text: `studio send {SLUG} --resend-corrected`" \
        in again.stdout
    assert len(smtp.messages) == 3

    assert studio(root, "subscribers", "remove", "cy@example.org").returncode == 0  # left the list since
    assert studio(root, "subscribers", "add", "dee@example.org").returncode == 0  # joined since: never got it
    dry = studio(root, "send", SCRIPT, "--resend-corrected", "--dry-run")
    assert dry.returncode == 0 and "would send the corrected edition '【更正】第一期' to 2 of 3 recipients" in dry.stdout
    assert "1 never got this episode" in dry.stdout and len(smtp.messages) == 3

    resent = studio(root, "send", SCRIPT, "--resend-corrected", "--json")
    assert resent.returncode == 0, resent.stderr
    summary = json.loads(resent.stdout)
    assert summary["edition"] == "corrected" and summary["sent"] == 2 and summary["never_sent"] == 1
    corrected = smtp.messages[3:]
    assert sorted(r for rcpts, _ in corrected for r in rcpts) == ["ann@example.org", "bo@example.org"]
    for rcpts, raw in corrected:
        msg = message_from_bytes(raw, policy=policy.default)
        assert msg["Subject"] == "【更正】第一期" and "更正后的说法" in item_text(raw)
        assert msg["Message-ID"] != ids[rcpts[0]]  # a new message, not a duplicate a mail store would drop

    log = sqlite3.connect(root / ".studio-sendlog.sqlite")
    rows = log.execute("SELECT recipient, edition, status FROM deliveries ORDER BY edition, recipient").fetchall()
    contents = dict(log.execute("SELECT edition, content FROM deliveries WHERE recipient = 'ann@example.org'"))
    log.close()
    assert rows == [("ann@example.org", 1, "accepted"), ("bo@example.org", 1, "accepted"),
                    ("cy@example.org", 1, "accepted"), ("ann@example.org", 2, "accepted"),
                    ("bo@example.org", 2, "accepted")]
    assert contents[1] != contents[2] and contents[2] == summary["content"]

    twice = studio(root, "send", SCRIPT, "--resend-corrected")
    assert twice.returncode == 0 and "sent 0 to readers whose copy had other text, 2 already have this text" \
        in twice.stdout
    plain = studio(root, "send", SCRIPT)  # the newcomer gets the episode (the current text), nobody else
    assert plain.returncode == 0 and "sent 1, already sent earlier 2" in plain.stdout
    assert [rcpts for rcpts, _ in smtp.messages[5:]] == [["dee@example.org"]]
    assert "更正后的说法" in item_text(smtp.messages[5][1])
    assert studio(root, "send", SCRIPT, "--resend-corrected", "--list", "readers.csv").returncode == 1


def test_a_send_log_from_before_editions_is_migrated_and_never_resent_blindly(tmp_path: Path):
    path = tmp_path / "log.sqlite"
    db = sqlite3.connect(path)
    db.execute("""CREATE TABLE deliveries (episode TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL
                  CHECK (status IN ('sending', 'accepted', 'refused', 'deferred')), message_id TEXT, code INTEGER,
                  reason TEXT, attempts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
                  PRIMARY KEY (episode, recipient))""")
    db.execute("INSERT INTO deliveries VALUES ('ep', 'a@x.com', 'accepted', '<1@x>', NULL, NULL, 1, '2026-01-01')")
    db.execute("INSERT INTO deliveries VALUES ('ep', 'b@x.com', 'refused', '<2@x>', 550, '550 no', 1, '2026-01-01')")
    db.commit()
    db.close()
    before = path.read_bytes()
    history = read_history(path, "ep")  # a dry run reads an old log as it is, writing nothing
    assert path.read_bytes() == before
    assert history["a@x.com"].status == "accepted" and history["a@x.com"].got is None
    assert history["b@x.com"].status == "refused" and history["b@x.com"].reason == "550 no"

    log = SendLog(path)  # a real run migrates it: every row is edition 1 of unknown content
    assert log.statuses("ep") == {"a@x.com": "accepted", "b@x.com": "refused"}
    assert log.row("ep", "a@x.com") == {"status": "accepted", "message_id": "<1@x>", "code": None, "reason": None,
                                        "attempts": 1, "content": None}
    log.claim("ep", "a@x.com", "<3@x>", edition=2, content="new")
    log.accepted("ep", "a@x.com", edition=2)
    known = log.statuses_of("ep", ["a@x.com", "b@x.com"])
    assert (known["a@x.com"].got_edition, known["a@x.com"].got) == (2, "new") and known["a@x.com"].status == "accepted"
    log.close()
    assert SendLog(path).statuses("ep", edition=2) == {"a@x.com": "accepted"}  # reopening keeps the new schema
