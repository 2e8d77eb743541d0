"""`studio subscribers bounces`: RFC 3464 DSNs, RFC 5965 ARF reports and mailto unsubscribes from an mbox or a
Maildir (written with Python's mailbox module from the fixtures), through the real CLI."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest

from tests.conftest import REPO, bare_env, make_show, run_studio

FIXTURES = REPO / "tests" / "fixtures" / "bounces"
SUBSCRIBERS = ["alice@example.com", "bob@example.com", "carol@example.net", "dave@example.net",
               "erin@example.net", "frank@example.com", "grace@example.com"]


@pytest.fixture
def show(tmp_path: Path) -> Path:
    root = make_show(tmp_path)
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write("\n[subscribers]\nsoft_bounce_limit = 2\n")
    (root / "subs.csv").write_text("email\n" + "\n".join(SUBSCRIBERS) + "\n", "utf-8")
    assert studio(root, "subscribers", "import", "subs.csv").returncode == 0
    return root


def studio(root: Path, *args: str):
    return run_studio(list(args), cwd=root, env={**bare_env(), "STUDIO_UNSUBSCRIBE_SECRET": "fixture-secret"})


def statuses(root: Path) -> dict[str, str]:
    proc = studio(root, "subscribers", "list", "--json")
    return {r["email"]: r["status"] for r in map(json.loads, proc.stdout.splitlines())}


def fill(box: mailbox.Mailbox, names: list[str], **replace: str) -> None:
    for name in names:
        raw = (FIXTURES / name).read_bytes()
        for old, new in replace.items():
            raw = raw.replace(old.encode(), new.encode())
        box.add(raw)
    box.flush()


def test_reports_in_an_mbox_change_each_address_once(show):
    path = show / "bounces.mbox"
    fill(mailbox.mbox(path), sorted(p.name for p in FIXTURES.glob("*.eml")))
    proc = studio(show, "subscribers", "bounces", "bounces.mbox", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["messages"] == 10 and result["hard"] == 1 and result["complaints"] == 1 and result["held"] == 1
    assert result["unsubscribes"] == 2 and result["soft"] == 1 and result["unknown"] == 2
    assert result["unrecognised"] == 1  # the ordinary reply
    assert statuses(show) == {
        "alice@example.com": "bounced",         # Action: failed, Status: 5.1.1
        "bob@example.com": "active",            # one soft bounce of two allowed
        "carol@example.net": "complained",      # ARF with the recipient redacted: found by our token
        "dave@example.net": "held",             # ARF with Original-Rcpt-To, no token: anyone could send it
        "erin@example.net": "unsubscribed",     # mailto with the token in the subject
        "frank@example.com": "unsubscribed",    # "Unsubscribe" from the subscriber's own address
        "grace@example.com": "active",          # her reply changes nothing
    }
    assert "nobody@example.com" not in statuses(show) and "mallory@evil.example" not in statuses(show)
    # the same mailbox read again changes nothing and counts nothing twice
    again = json.loads(studio(show, "subscribers", "bounces", "bounces.mbox", "--json").stdout)
    assert again["already"] == 10 and again["soft"] == 0
    human = studio(show, "subscribers", "bounces", "bounces.mbox")
    assert "10 read before" in human.stdout


def test_soft_bounces_in_a_maildir_suppress_at_the_limit(show):
    box = mailbox.Maildir(show / "Maildir", create=True)
    fill(box, ["dsn-delayed.eml"])
    first = json.loads(studio(show, "subscribers", "bounces", "Maildir", "--json").stdout)
    assert first["soft"] == 1 and statuses(show)["bob@example.com"] == "active"
    fill(box, ["dsn-delayed.eml"], **{"delay-1.2024": "delay-2.2024"})  # a second, distinct delay notice
    second = studio(show, "subscribers", "bounces", "Maildir")
    assert second.returncode == 0 and "bob@example.com: bounced (2 soft bounces)" in second.stdout
    assert statuses(show)["bob@example.com"] == "bounced"
    # a bounced address stays suppressed: import cannot bring it back
    assert json.loads(studio(show, "subscribers", "import", "subs.csv", "--json").stdout)["suppressed"] == 1
    assert statuses(show)["bob@example.com"] == "bounced"


def test_what_is_not_a_mailbox_is_one_line(show):
    (show / "notes.txt").write_text("hello\n", "utf-8")
    (show / "half").mkdir()
    for target, problem in [("notes.txt", "not an mbox file"), ("half", "not a Maildir"), ("missing", "no such")]:
        proc = studio(show, "subscribers", "bounces", target)
        assert proc.returncode == 1 and problem in proc.stderr and target in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
