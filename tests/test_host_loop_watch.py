"""`studio serve --watch` on loopback: edit a script, see one clip re-synthesized and the reload
signal reach a connected page; break the front matter, see the error on the page; fix it."""

from __future__ import annotations

import http.client
import queue
import re
import threading
from pathlib import Path

import pytest

from tests.conftest import run_studio
from tests.host_loop_support import TIMEOUT, get, loop_show, script, status_of, wait_for, watch_server

ITEMS = [("第一条", "第一条新闻的内容。"), ("第二条", "第二条新闻的内容。")]
EDITED = [("第一条", "第一条新闻的内容。"), ("第二条", "第二条新闻改过了。")]


class Channel:
    """A page's side of the reload channel: server-sent events read in a thread."""

    def __init__(self, port: int, since: int):
        self.events: queue.Queue[str] = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.conn.request("GET", f"/__studio/events?since={since}", headers={"Accept": "text/event-stream"})
        resp = self.conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/event-stream")
        threading.Thread(target=self._read, args=(resp,), daemon=True).start()

    def _read(self, resp) -> None:
        try:
            for raw in iter(resp.readline, b""):
                line = raw.decode().strip()
                if line.startswith("event: "):
                    self.events.put(line[7:])
        except OSError:
            pass

    def next_reload(self) -> None:
        assert self.events.get(timeout=TIMEOUT) == "reload"

    def reload_until(self, done, most: int = 6):
        """Reload signals until `done()` holds (a draft email, then the build, each send one)."""
        for _ in range(most):
            self.next_reload()
            if done():
                return
        raise AssertionError(f"{most} reloads and still not {done.__doc__}")

    def close(self) -> None:
        self.conn.close()


def _words(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page)


@pytest.fixture
def watching(tmp_path: Path):
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    with watch_server(root, tmp_path / "stderr.txt") as (port, proc, lines):
        yield root, port, proc, lines


def test_watch_rebuilds_reloads_and_shows_errors(watching):
    root, port, proc, lines = watching
    a = root / "episodes" / "a.md"

    def first_build():
        """the first build"""
        return status_of(port)["episodes"].get("episodes/a.md", {}).get("status") == "built"

    wait_for(first_build)
    assert (root / ".studio-preview" / "episodes" / "one" / "one.mp3").is_file()
    assert not (root / "public").exists()  # the offline preview never lands in output_dir
    status, page = get(port, "/episodes/one/")
    assert status == 200 and "/__studio/events?since=" in page and "studio-errors" not in page

    # edit one item: that item alone is synthesized again, and the open page is told to reload
    channel = Channel(port, status_of(port)["generation"])
    a.write_text(script("一", "2026-03-01", 1, EDITED, slug="one"), "utf-8")
    channel.next_reload()  # the first signal: the email preview already shows the edit
    assert "第二条新闻改过了" in get(port, "/__studio/email/one/")[1]

    def rebuilt():
        """rebuilt"""
        return status_of(port)["episodes"]["episodes/a.md"]["synthesized"] == 1

    channel.reload_until(rebuilt)
    ep = status_of(port)["episodes"]["episodes/a.md"]
    assert (ep["status"], ep["synthesized"], ep["cached"]) == ("built", 1, 1)
    assert 'id="draft"' not in get(port, "/__studio/email/one/")[1]  # the built email replaced the draft
    assert any("1 synthesized, 1 cached" in line for line in lines), lines
    assert "第二条新闻改过了" in _words(get(port, "/episodes/one/")[1])  # (its opening words in bold)

    # a broken front matter: the error is on the page, the server keeps going
    a.write_text(script("一", "2026-03-01", 1, EDITED, slug="one").replace("title = '一'", "title = '一"), "utf-8")
    channel.next_reload()  # no draft from a script that does not read: this is the failed build
    status, page = get(port, "/episodes/one/")
    assert status == 200 and 'id="studio-errors"' in page
    assert re.search(r"episodes/a\.md: line \d+: front matter TOML error", page)
    assert "第二条新闻改过了" in _words(page)  # the last good build is still there underneath
    assert proc.poll() is None
    assert status_of(port)["episodes"]["episodes/a.md"]["status"] == "failed"

    # fixed: the error goes away (the script is as it was built, so nothing is rebuilt)
    a.write_text(script("一", "2026-03-01", 1, EDITED, slug="one"), "utf-8")

    def fixed():
        """fixed"""
        return status_of(port)["episodes"]["episodes/a.md"]["status"] == "up to date"

    channel.reload_until(fixed)
    assert "studio-errors" not in get(port, "/episodes/one/")[1]

    # a template saved: the episode is rebuilt with it, from cached clips
    assert run_studio(["template", "copy", "email.txt.j2"], cwd=root).returncode == 0
    template = root / "templates" / "email.txt.j2"
    template.write_text(template.read_text("utf-8") + "\n-- 模板改了 --\n", "utf-8")

    def rebuilt_with_template():
        """rebuilt with the template (a reload still pending from the fix may come first)"""
        return status_of(port)["episodes"]["episodes/a.md"]["status"] == "built"

    channel.reload_until(rebuilt_with_template)
    ep = status_of(port)["episodes"]["episodes/a.md"]
    assert (ep["status"], ep["synthesized"]) == ("built", 0)

    # show.toml broken: every page says so; fixed: back to normal
    show_toml = root / "show.toml"
    good = show_toml.read_text("utf-8")
    show_toml.write_text(good + "\n[audio\n", "utf-8")
    channel.next_reload()
    page = get(port, "/episodes/one/")[1]
    assert 'id="studio-errors"' in page and "show.toml" in page and proc.poll() is None
    show_toml.write_text(good, "utf-8")

    def show_ok():
        """show.toml read again"""
        return status_of(port)["show_error"] is None

    channel.reload_until(show_ok)
    assert "studio-errors" not in get(port, "/episodes/one/")[1]

    # a new script (say from `studio new`) is built as soon as it is saved
    (root / "episodes" / "b.md").write_text(script("二", "2026-03-08", 2, ITEMS[:1], slug="two"), "utf-8")

    def second():
        """the new script built"""
        return status_of(port)["episodes"].get("episodes/b.md", {}).get("status") == "built"

    channel.reload_until(second)
    assert get(port, "/episodes/two/")[0] == 200 and "episodes/two/" in get(port, "/")[1]
    channel.close()

    # the email preview: as a recipient sees it, dark mode and phone width, plain text beside it
    status, page = get(port, "/__studio/email/one/?dark=1&phone=1")
    assert status == 200 and 'width="375"' in page and 'src="frame?dark=1"' in page
    assert "模板改了" in page and "第二条新闻改过了" in page and "/__studio/events" in page
    assert 'href="?dark=0&amp;phone=1"' in page and 'href="?dark=1&amp;phone=0"' in page  # the toggles
    dark = get(port, "/__studio/email/one/frame?dark=1")[1]
    light = get(port, "/__studio/email/one/frame?dark=0")[1]
    assert "@media all{" in dark and "prefers-color-scheme" not in dark and "@media not all{" in light
    assert "__studio" not in dark  # the email itself is served untouched but for the dark-mode switch
    assert get(port, "/__studio/email/..%2Fone/")[0] == 404 and get(port, "/__studio/email/nope/")[0] == 404
    assert get(port, "/episodes/one/one.mp3")[0] == 200  # everything else as `studio serve` serves it
