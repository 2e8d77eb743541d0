"""[assist] against hostile servers on loopback (issue 24, findings 2, 3, 4, 5): the key never follows a
redirect elsewhere, `timeout` bounds the whole exchange, malformed answers fall back with one warning."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.http_standin import LoopbackServer
from studio.core.config import AssistConfig
from studio.ingest.assist import use_assist
from studio.ingest.transcript import transcript_items
from tests.conftest import bare_env, run_studio
from tests.net_support import Dribbler, Recorder, Redirector
from tests.test_ingest_assist import GOOD, TEXT, StandIn, builtin

KEY = "sk-assist-secret-0123456789"


def run(base_url: str, tmp_path: Path, timeout: float = 2.0, **kw):
    config = AssistConfig(enabled=True, base_url=base_url, model="m", timeout=timeout, **kw)
    warnings: list[str] = []
    with use_assist(config, tmp_path / "cache", warnings.append):
        return transcript_items(TEXT), warnings


@pytest.mark.parametrize("status", [302, 307, 308])
def test_the_assist_key_never_follows_a_redirect_to_another_origin(tmp_path, monkeypatch, status):
    monkeypatch.setenv("ASSIST_KEY", KEY)
    with Recorder(status=200, content_type="application/json", body=b"{}") as elsewhere:
        with Redirector(target=elsewhere.url, status=status) as hop:
            items, warnings = run(hop.url + "/v1", tmp_path, api_key_env="ASSIST_KEY")
    assert hop.headers[0]["Authorization"] == f"Bearer {KEY}"
    assert elsewhere.headers == [] and not elsewhere.saw(KEY)
    (warning,) = warnings
    assert "redirect" in warning and "built-in segmenter" in warning and KEY not in warning
    assert [it.text for it in items] == [it.text for it in builtin()]


@dataclass
class MovedChat(LoopbackServer):
    """/old/chat/completions answers 307 to /v1/chat/completions on the same server, which answers GOOD."""

    port: int = 0

    def __post_init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def routes(self, app) -> None:
        app.router.add_post("/old/chat/completions", self._moved)
        app.router.add_post("/v1/chat/completions", self._chat)

    async def _moved(self, request):
        from aiohttp import web

        self.seen.append((request.path, request.headers.get("Authorization")))
        return web.Response(status=307, headers={"Location": "/v1/chat/completions"})

    async def _chat(self, request):
        from aiohttp import web

        await request.json()
        self.seen.append((request.path, request.headers.get("Authorization")))
        content = json.dumps(GOOD, ensure_ascii=False)
        return web.json_response({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


def test_a_same_origin_redirect_is_followed(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSIST_KEY", KEY)
    with MovedChat() as server:
        items, warnings = run(f"http://127.0.0.1:{server.port}/old", tmp_path, api_key_env="ASSIST_KEY")
    assert not warnings and items[1].title == "Runway 完成 1.41 亿美元融资"
    assert server.seen == [("/old/chat/completions", f"Bearer {KEY}"), ("/v1/chat/completions", f"Bearer {KEY}")]


def test_timeout_bounds_the_whole_answer_not_each_read(tmp_path):
    """One byte every 2 s never trips a per-read timeout; `timeout = 3` must still end it in about 3 s."""
    builtin()  # the segmenter's own dictionary loaded first: what is timed is the exchange
    with Dribbler(every=2.0) as slow:
        t0 = time.monotonic()
        items, warnings = run(slow.url + "/v1", tmp_path, timeout=3.0)
        elapsed = time.monotonic() - t0
    assert slow.sent >= 1 and elapsed < 3 + 5, elapsed  # without the deadline: never (a byte every 2 s)
    (warning,) = warnings
    assert "timed out" in warning and "built-in segmenter" in warning
    assert [it.text for it in items] == [it.text for it in builtin()]


def test_studio_items_with_a_dribbling_assist_server_finishes(tmp_path):
    root = tmp_path / "show"
    (root / "episodes").mkdir(parents=True)
    with Dribbler(every=2.0) as slow:
        (root / "show.toml").write_text(
            'title = "T"\ndescription = "d"\nauthor = "a"\nowner_email = "a@example.org"\n'
            'base_url = "https://example.org/show/"\n'
            f'[assist]\nenabled = true\nbase_url = "{slow.url}/v1"\nmodel = "m"\ntimeout = 5\n', "utf-8")
        (root / "episodes" / "t.txt").write_text(TEXT + "\n", "utf-8")
        t0 = time.monotonic()
        proc = run_studio(["items", "episodes/t.txt", "--json"], cwd=root, env=bare_env())
        elapsed = time.monotonic() - t0
    (root / "show.toml").write_text((root / "show.toml").read_text("utf-8").replace("enabled = true", "enabled = false"))
    t0 = time.monotonic()
    assert run_studio(["items", "episodes/t.txt", "--json"], cwd=root, env=bare_env()).returncode == 0
    alone = time.monotonic() - t0  # the same command without the assist, for a loaded machine
    assert proc.returncode == 0, proc.stderr
    assert elapsed - alone < 5 + 15, (elapsed, alone)  # without the deadline: never (a byte every 2 s)
    assert [x for x in proc.stderr.splitlines() if "assist" in x and "timed out" in x]
    assert len(json.loads(proc.stdout)["items"]) == len(builtin())


LONE_SURROGATE = '{"items": [{"sentences": [0, 1, 2], "title": "\\ud800 开场"}, {"sentences": [3, 4, 5], "title": "b"}]}'
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("content", [LONE_SURROGATE, DEEP, '{"items": ' + DEEP + "}"],
                         ids=["lone surrogate", "nested answer", "nested items"])
def test_malformed_answers_fall_back_with_one_warning(tmp_path, content):
    server = StandIn()
    server.content = content
    try:
        items, warnings = run(f"http://127.0.0.1:{server.port}/v1", tmp_path)
    finally:
        server.stop()
    (warning,) = warnings
    assert warning.startswith("assist: ") and "built-in segmenter" in warning
    warning.encode("utf-8")  # printable
    assert [(it.text, it.title) for it in items] == [(it.text, it.title) for it in builtin()]
    assert not list((tmp_path / "cache").glob("*.json"))


def test_a_response_nested_too_deeply_falls_back(tmp_path):
    with Recorder(status=200, content_type="application/json", body=DEEP.encode()) as server:
        items, warnings = run(server.url + "/v1", tmp_path)
    (warning,) = warnings
    assert "nested too deeply" in warning and [it.text for it in items] == [it.text for it in builtin()]


def test_a_key_in_the_reason_phrase_is_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSIST_KEY", KEY)
    with Recorder(status=503, reason=f"Overloaded, key {KEY}") as server:
        _, warnings = run(server.url + "/v1", tmp_path, api_key_env="ASSIST_KEY")
    (warning,) = warnings
    assert "HTTP 503" in warning and KEY not in warning and "[key]" in warning
