"""`studio ship EPISODE`: check -> build -> test send -> publish (a local folder) -> send (aiosmtpd on loopback),
stopping at the first failure."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import bare_env, run_studio
from tests.host_loop_support import loop_show, script

# a show ready to go out: no placeholder URL or address (example.org is one, and `studio check` says so)
REAL = {"https://studio.example.org/weekly/": "https://pod.hostsend-test.net/weekly/",
        "podcast@studio.example.org": "podcast@hostsend-test.net"}
SETTINGS = """
[email]
from_address = "news@hostsend-test.net"
unsubscribe_url = "https://pod.hostsend-test.net/unsubscribe"
{test_to}

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
rate = 1000
"""


class Inbox:
    def __init__(self) -> None:
        self.rcpts: list[str] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.rcpts += envelope.rcpt_tos
        return "250 2.0.0 queued"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def _show(tmp_path: Path, port: int, test_to: str = "", placeholders: bool = False) -> Path:
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, [("一", "第一期。"), ("二", "还有。")],
                                                        slug="one")})
    text = (root / "show.toml").read_text("utf-8")
    for placeholder, real in REAL.items():
        text = text if placeholders else text.replace(placeholder, real)
    settings = SETTINGS.format(port=port, test_to=f'test_to = "{test_to}"' if test_to else "")
    (root / "show.toml").write_text(text + settings, "utf-8")
    (root / "subscribers.csv").write_text("email,name\nann@example.org,Ann\nbo@example.org,Bo\n", "utf-8")
    return root


def _env() -> dict[str, str]:
    return {**bare_env(), "STUDIO_UNSUBSCRIBE_SECRET": "ship-test-secret"}


def _ship(root: Path, target: Path, *extra: str):
    return run_studio(["ship", "episodes/a.md", "--to", str(target), "--list", "subscribers.csv", "--engine", "espeak",
                       *extra], cwd=root, env=_env())


def test_dry_run_says_what_each_step_would_do(tmp_path: Path, smtp):
    port, inbox = smtp
    root, target = _show(tmp_path, port), tmp_path / "www"
    proc = _ship(root, target, "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    steps = [line.split(":")[0] for line in out.splitlines() if line.startswith("── ")]
    assert steps == ["── 1/4 check", "── 2/4 build", "── 3/4 publish", "── 4/4 send"]  # no test address: no test
    assert "0 errors" in out and "would build episodes/a.md" in out and "2 items, voice engine espeak" in out
    assert "Dry run" in out and "would email the episode once it is built" in out
    assert out.rstrip().endswith("Dry run: nothing was built, published or sent.")
    assert not (root / "public" / "episodes").exists() and not (target / "feed.xml").exists() and inbox.rcpts == []


def test_ship_releases_then_stops_at_the_first_failure(tmp_path: Path, smtp):
    port, inbox = smtp
    root, target = _show(tmp_path, port), tmp_path / "www"
    proc = _ship(root, target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "feed.xml").is_file() and (target / "episodes" / "one" / "one.mp3").is_file()
    assert sorted(inbox.rcpts) == ["ann@example.org", "bo@example.org"]
    assert proc.stdout.rstrip().endswith("Shipped episodes/a.md.")

    again = _ship(root, target, "--dry-run")  # after a release: nothing left to do
    assert again.returncode == 0, again.stdout + again.stderr
    assert "is up to date" in again.stdout and "to 0 of 2 recipients" in again.stdout and "2 already sent" in again.stdout

    no_target = run_studio(["ship", "episodes/a.md", "--list", "subscribers.csv", "--engine", "espeak"],
                           cwd=root, env=_env())  # publish has nowhere to go: send must not run
    assert no_target.returncode != 0
    assert "✗ publish failed" in no_target.stdout and "not run: send" in no_target.stdout

    (root / "episodes" / "b.md").write_text("+++\ntitle = 'broken\n+++\n\n## x\n\ny\n", "utf-8")
    (root / "episodes" / "a.md").write_text(script("一", "2026-03-01", 1, [("一", "改了。")], slug="one"), "utf-8")
    stopped = _ship(root, target)
    assert stopped.returncode == 1
    assert "✗ check failed (exit 1): ship stopped; not run: build, publish, send" in stopped.stdout
    assert "b.md" in stopped.stdout and "Traceback" not in stopped.stderr
    assert "改了" not in (root / "public" / "episodes" / "one" / "email.txt").read_text("utf-8")  # not rebuilt
    assert sorted(inbox.rcpts) == ["ann@example.org", "bo@example.org"]  # nobody got anything twice


def test_placeholder_urls_stop_ship_before_anything_is_built(tmp_path: Path, smtp):
    """Issue 27.4: the example's example.org URLs are not a release; ship says which and stops at its check."""
    port, inbox = smtp
    root, target = _show(tmp_path, port, placeholders=True), tmp_path / "www"
    proc = _ship(root, target)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "✗ check failed (exit 1): ship stopped; not run: build, publish, send" in proc.stdout
    assert "key 'base_url' is a placeholder (https://studio.example.org/weekly/" in proc.stdout
    assert not (root / "public").exists() and not target.exists() and inbox.rcpts == []


def test_a_draft_not_built_does_not_stop_ship_and_the_shipped_script_is_built_first(tmp_path: Path, smtp):
    port, inbox = smtp
    root, target = _show(tmp_path, port), tmp_path / "www"
    (root / "episodes" / "b.md").write_text(script("二", "2026-03-08", 2, [("一", "下周的草稿。")], slug="two"), "utf-8")
    proc = _ship(root, target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "episodes/b.md: not built in public/ yet: run `studio build episodes/b.md` (not part of this release)" \
        in proc.stdout
    assert "episodes/a.md" not in [l.split(":")[0].strip() for l in proc.stdout.splitlines() if "todo" in l]
    assert not (root / "public" / "episodes" / "two").exists()  # only the shipped script is built
    assert sorted(inbox.rcpts) == ["ann@example.org", "bo@example.org"]

    # the script is corrected after the release: ship builds it again, publishes the new text, and the send
    # log keeps the list from getting it twice (the corrected edition is an explicit command)
    (root / "episodes" / "a.md").write_text(script("一", "2026-03-01", 1, [("一", "更正：第一期。"), ("二", "还有。")],
                                                   slug="one"), "utf-8")
    again = _ship(root, target)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "更正" in (target / "episodes" / "one" / "email.txt").read_text("utf-8")
    assert "2 of those already sent got an earlier edition" in again.stdout and "--resend-corrected" in again.stdout
    assert sorted(inbox.rcpts) == ["ann@example.org", "bo@example.org"]


def test_a_test_address_gets_the_new_build_first(tmp_path: Path, smtp):
    """Issue 27.9: with [email] test_to, ship mails one copy of the new build there before publishing."""
    port, inbox = smtp
    root, target = _show(tmp_path, port, test_to="me@hostsend-test.net"), tmp_path / "www"
    dry = _ship(root, target, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    steps = [line.split(":")[0] for line in dry.stdout.splitlines() if line.startswith("── ")]
    assert steps == ["── 1/5 check", "── 2/5 build", "── 3/5 test", "── 4/5 publish", "── 5/5 send"]
    assert "would send one copy of the new build to me@hostsend-test.net" in dry.stdout and inbox.rcpts == []

    proc = _ship(root, target)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "── 3/5 test: studio send episodes/a.md --test-to me@hostsend-test.net" in proc.stdout
    assert inbox.rcpts[0] == "me@hostsend-test.net"  # before the list
    assert sorted(inbox.rcpts[1:]) == ["ann@example.org", "bo@example.org"]


def test_a_test_send_that_fails_stops_ship_before_publishing(tmp_path: Path, smtp):
    port, inbox = smtp
    inbox.refuse = {"me@hostsend-test.net"}
    root, target = _show(tmp_path, port), tmp_path / "www"
    proc = _ship(root, target, "--test-to", "me@hostsend-test.net")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the server refused me@hostsend-test.net" in proc.stdout and "550" in proc.stdout
    assert "✗ test failed (exit 1): ship stopped; not run: publish, send" in proc.stdout
    assert not target.exists() and inbox.rcpts == []
