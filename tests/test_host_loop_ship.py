"""`studio ship EPISODE`: check -> build -> publish (a local folder) -> send (aiosmtpd on loopback), stopping at the first failure."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import bare_env, run_studio
from tests.host_loop_support import loop_show, script

SETTINGS = """
[email]
from_address = "news@studio.example.org"
unsubscribe_url = "https://studio.example.org/unsubscribe"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
rate = 1000
"""


class Inbox:
    def __init__(self) -> None:
        self.rcpts: list[str] = []

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


def _show(tmp_path: Path, port: int) -> Path:
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, [("一", "第一期。"), ("二", "还有。")],
                                                        slug="one")})
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write(SETTINGS.format(port=port))
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
    assert steps == ["── 1/4 check", "── 2/4 build", "── 3/4 publish", "── 4/4 send"]
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
