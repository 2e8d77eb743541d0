"""Feed push after a publish: <atom:link rel="hub">, a WebSub ping and a Podcast Index pubnotify ping,
against small aiohttp stand-ins on loopback; a failing endpoint warns and never fails the publish."""

from __future__ import annotations

import asyncio
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import run_studio
from tests.feed_helpers import add_episode, rebuild

FEED_URL = "https://studio.example.org/weekly/feed.xml"
ATOM = "{http://www.w3.org/2005/Atom}"


class StandIns:
    """POST /hub (WebSub: 204) and GET /api/1.0/hub/pubnotify (Podcast Index: 200); /broken answers 500."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    async def _hub(self, request: web.Request) -> web.Response:
        self.calls.append(("hub", request.method, dict(await request.post())))
        return web.Response(status=204)

    async def _pubnotify(self, request: web.Request) -> web.Response:
        self.calls.append(("pubnotify", request.method, dict(request.query)))
        return web.json_response({"status": "true", "description": "Feed marked for immediate update."})

    async def _broken(self, request: web.Request) -> web.Response:
        self.calls.append(("broken", request.method, {}))
        return web.Response(status=500)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/hub", self._hub)
        app.router.add_get("/api/1.0/hub/pubnotify", self._pubnotify)
        app.router.add_route("*", "/broken", self._broken)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def stand_ins():
    s = StandIns()
    yield s
    s.stop()


def _feed_table(show_dir: Path, **keys: str) -> None:
    with open(show_dir / "show.toml", "a", encoding="utf-8") as f:
        f.write("\n[feed]\n" + "".join(f'{k} = "{v}"\n' for k, v in keys.items()))


def test_publish_pings_the_hub_and_podcast_index(show_dir: Path, tmp_path: Path, stand_ins: StandIns):
    _feed_table(show_dir, hub=stand_ins.url("/hub"), pubnotify=stand_ins.url("/api/1.0/hub/pubnotify"))
    add_episode(show_dir / "public", 1)
    rebuild(show_dir)
    channel = ET.parse(show_dir / "public" / "feed.xml").getroot().find("channel")
    links = {el.get("rel"): el.get("href") for el in channel.findall(f"{ATOM}link")}
    assert links == {"self": FEED_URL, "hub": stand_ins.url("/hub")}

    proc = run_studio(["publish", "--to", str(tmp_path / "www")], cwd=show_dir)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    assert ("hub", "POST", {"hub.mode": "publish", "hub.url": FEED_URL}) in stand_ins.calls
    assert ("pubnotify", "GET", {"url": FEED_URL}) in stand_ins.calls

    stand_ins.calls.clear()  # nothing changed: nothing to announce
    assert run_studio(["publish", "--to", str(tmp_path / "www")], cwd=show_dir).returncode == 0
    assert stand_ins.calls == []


def test_failing_pings_warn_and_the_publish_still_succeeds(show_dir: Path, tmp_path: Path, stand_ins: StandIns):
    _feed_table(show_dir, hub=stand_ins.url("/broken"), pubnotify="http://127.0.0.1:9/pubnotify")
    add_episode(show_dir / "public", 1)
    rebuild(show_dir)
    proc = run_studio(["publish", "--to", str(tmp_path / "www")], cwd=show_dir)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "500" in warnings[0] and "not reachable" in warnings[1]
    assert (tmp_path / "www" / "feed.xml").is_file()
    assert ("broken", "POST", {}) in stand_ins.calls
