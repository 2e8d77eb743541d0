"""[assist]: a chat model's boundaries and titles, checked, cached, with a fallback (real HTTP on loopback)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from aiohttp import web

from studio.core.config import AssistConfig
from studio.core.errors import ConfigError
from studio.ingest import read_episode
from studio.ingest.assist import use_assist
from studio.ingest.transcript import transcript_items

TEXT = (
    "大家好，这里是测试周报。Runway完成1.41亿美元融资，估值达到15亿美元。公司计划扩大团队。"
    "北京市发布通用人工智能发展措施。措施覆盖算力和数据。这期节目就到这里，感谢收听。"
)
GOOD = {"items": [
    {"sentences": [0], "title": "开场"},
    {"sentences": [1, 2], "title": "Runway 完成 1.41 亿美元融资"},
    {"sentences": [3, 4], "title": "北京市发布通用人工智能发展措施"},
    {"sentences": [5], "title": "结束语"},
]}


class StandIn:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 that answers what the test sets, and its
    /v1/models list (`studio doctor` reads it)."""

    def __init__(self, models: tuple[str, ...] = ("m",)) -> None:
        self.mode, self.content, self.requests = "ok", json.dumps(GOOD, ensure_ascii=False), []
        self.models, self.model_requests = models, []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_get("/v1/models", self.list_models)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"body": body, "auth": request.headers.get("Authorization")})
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "error":
            return web.Response(status=500, text="boom")
        message = {"role": "assistant", "content": self.content}
        if self.mode == "refuse":
            message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
        return web.json_response({"choices": [{"index": 0, "message": message}]})

    async def list_models(self, request: web.Request) -> web.Response:
        self.model_requests.append((request.method, request.path, request.headers.get("Authorization", "")))
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture()
def server():
    s = StandIn()
    yield s
    s.stop()


def run(server: StandIn, tmp_path: Path, text: str = TEXT, **kw) -> tuple[list, list[str]]:
    config = AssistConfig(enabled=True, base_url=f"http://127.0.0.1:{server.port}/v1", model="m", timeout=1.0, **kw)
    warnings: list[str] = []
    with use_assist(config, tmp_path / "cache", warnings.append):
        return transcript_items(text), warnings


def builtin(text: str = TEXT) -> list:
    return transcript_items(text)


def test_a_valid_answer_sets_items_and_titles_and_is_cached(server, tmp_path):
    items, warnings = run(server, tmp_path)
    assert not warnings
    assert [it.title for it in items] == ["开场", "Runway 完成 1.41 亿美元融资", "北京市发布通用人工智能发展措施", "结束语"]
    assert items[1].text == "Runway完成1.41亿美元融资，估值达到15亿美元。公司计划扩大团队。"
    assert [it.kind for it in items] == ["intro", "story", "story", "outro"]
    sent = server.requests[0]["body"]
    assert sent["model"] == "m" and "[5] 这期节目就到这里，感谢收听。" in sent["messages"][1]["content"]
    again, _ = run(server, tmp_path)
    assert len(server.requests) == 1  # answered from the cache by content
    assert [it.title for it in again] == [it.title for it in items]


def test_api_key_comes_from_the_named_env_var(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_ASSIST_KEY", "sk-test")
    run(server, tmp_path, api_key_env="TEST_ASSIST_KEY")
    assert server.requests[0]["auth"] == "Bearer sk-test"
    monkeypatch.delenv("TEST_ASSIST_KEY")
    items, warnings = run(server, tmp_path / "other", api_key_env="TEST_ASSIST_KEY")
    assert "TEST_ASSIST_KEY" in warnings[0]
    assert [it.text for it in items] == [it.text for it in builtin()]


BAD_ANSWERS = {
    "prose": "Sure! Here are the stories: ...",
    "fenced prose": "```json\nnot json\n```",
    "no items": json.dumps({"stories": []}),
    "missing sentence": json.dumps({"items": [{"sentences": [0, 1, 2], "title": "a"},
                                              {"sentences": [3, 5], "title": "b"}]}),
    "repeated sentence": json.dumps({"items": [{"sentences": [0, 1], "title": "a"},
                                               {"sentences": [1, 2, 3, 4, 5], "title": "b"}]}),
    "out of order": json.dumps({"items": [{"sentences": [1, 0], "title": "a"},
                                          {"sentences": [2, 3, 4, 5], "title": "b"}]}),
    "title too long": json.dumps({"items": [{"sentences": [0, 1, 2], "title": "很长" * 13},
                                            {"sentences": [3, 4, 5], "title": "b"}]}, ensure_ascii=False),
    "same titles": json.dumps({"items": [{"sentences": [0, 1, 2], "title": "a"},
                                         {"sentences": [3, 4, 5], "title": "a"}]}),
    "strings for numbers": json.dumps({"items": [{"sentences": ["0", "1", "2", "3", "4", "5"], "title": "a"}]}),
}


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_invalid_answers_fall_back_with_a_warning(server, tmp_path, case):
    server.content = BAD_ANSWERS[case]
    items, warnings = run(server, tmp_path)
    assert len(warnings) == 1 and warnings[0].startswith("assist: ") and "built-in segmenter" in warnings[0]
    assert [(it.text, it.title) for it in items] == [(it.text, it.title) for it in builtin()]
    assert not list((tmp_path / "cache").glob("*.json"))  # nothing invalid is cached


@pytest.mark.parametrize("mode,words", [("slow", "timed out"), ("error", "HTTP 500"), ("refuse", "refused")])
def test_timeouts_errors_and_refusals_fall_back(server, tmp_path, mode, words):
    server.mode = mode
    items, warnings = run(server, tmp_path)
    assert len(warnings) == 1 and words in warnings[0]
    assert [it.text for it in items] == [it.text for it in builtin()]


def test_unreachable_server_falls_back(tmp_path):
    config = AssistConfig(enabled=True, base_url="http://127.0.0.1:9/v1", model="m", timeout=1.0)
    warnings: list[str] = []
    with use_assist(config, tmp_path, warnings.append):
        items = transcript_items(TEXT)
    assert len(warnings) == 1 and [it.text for it in items] == [it.text for it in builtin()]


def test_the_hosts_blank_line_still_wins(server, tmp_path):
    text = TEXT.replace("公司计划扩大团队。", "\n\n公司计划扩大团队。")
    items, warnings = run(server, tmp_path, text=text)
    assert not warnings
    assert [it.text for it in items][1:3] == ["Runway完成1.41亿美元融资，估值达到15亿美元。", "公司计划扩大团队。"]
    assert items[1].title == "Runway 完成 1.41 亿美元融资" and items[2].title


def test_off_by_default_and_checked_in_show_toml(tmp_path, server):
    (tmp_path / "show.txt").write_text(TEXT, encoding="utf-8")
    read_episode(tmp_path / "show.txt")  # no assist context: nothing is asked
    assert server.requests == []
    from studio.core.config import load_show

    toml = ('title = "t"\ndescription = "d"\nauthor = "a"\nowner_email = "a@example.org"\n'
            'base_url = "https://example.org/"\n[assist]\nenabled = true\nmodel = "m"\n')
    (tmp_path / "show.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match="assist.base_url"):
        load_show(tmp_path / "show.toml")
