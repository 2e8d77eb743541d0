"""Concurrency that adapts to the voice service: more requests while it keeps up, half as
many as soon as it throttles (the real edge-tts client against the stand-in)."""

from __future__ import annotations

import asyncio

import pytest

from studio.core.config import load_show
from studio.core.errors import ConfigError
from studio.speech.base import VoiceSettings
from studio.speech.gate import AdaptiveGate
from studio.speech.scheduler import ItemJob, Request, request_ranks
from studio.speech.synthesize import synthesize_episode
from tests.speech_support import episode, show_at, stand_in, write_show  # noqa: F401 (fixture)

TEXTS = [f"第{k}条：英伟达发布了新的芯片，性能提升了{k}倍，价格不变。" for k in range(1, 25)]


def test_the_gate_grows_while_busy_and_halves_on_a_refusal():
    async def run() -> AdaptiveGate:
        gate = AdaptiveGate(2, 5)
        for _ in range(2):
            await gate.acquire()
        await gate.release(True)  # all slots were busy: one more
        assert gate.limit == 3
        await gate.acquire()
        await gate.acquire()
        await gate.release(False)  # refused: half
        assert gate.limit == 1
        await gate.release(True)  # over the halved limit (2 active, limit 1): no growth yet
        assert gate.limit == 1
        return gate

    gate = asyncio.run(run())
    assert gate.peak == 3 and gate.backoffs == 1


def test_a_free_slot_goes_to_the_first_request_in_episode_order():
    """Clips must complete in the order the audio stage encodes them: a slot goes to the lowest rank
    waiting (item, then chunk), whatever order the requests asked in."""

    async def run() -> list[tuple[int, int]]:
        gate, started = AdaptiveGate(1, 1), []

        async def request(rank: tuple[int, int]) -> None:
            await gate.acquire(rank)
            started.append(rank)
            await asyncio.sleep(0.01)
            await gate.release(True)

        await gate.acquire()  # the slot is busy while they queue, out of order
        waiting = [asyncio.create_task(request(r)) for r in ((3, 0), (0, 1), (2, 0), (0, 0), (1, 0))]
        await asyncio.sleep(0.01)
        waiting[2].cancel()  # one given up while waiting never blocks the line
        await gate.release(True)
        await asyncio.gather(*waiting, return_exceptions=True)
        return started

    assert asyncio.run(run()) == [(0, 0), (0, 1), (1, 0), (3, 0)]


def test_requests_go_out_in_episode_order(tmp_path, stand_in):  # noqa: F811
    """One request at a time: the service hears the items (and each item's chunks) in script order."""
    texts = [f"第{k}条。" + "".join(f"这是第{k}条新闻的第{n}句话，内容足够长，用来填满一个请求。" for n in range(6))
             for k in range(1, 5)]
    show = show_at(tmp_path / "show", speech="jobs = 1\nmax_jobs = 1")
    result = synthesize_episode(episode(texts, tmp_path), show, "edge", tmp_path / "cache")
    assert result.failed == 0 and result.requests > len(texts)  # long items go in several requests
    heard = "".join(stand_in.texts)
    assert heard == "".join(texts)


def test_a_service_that_keeps_up_gets_more_requests_at_once(tmp_path, stand_in):  # noqa: F811
    stand_in.latency = 0.15
    show = show_at(tmp_path / "show", speech="jobs = 2\nmax_jobs = 12")
    result = synthesize_episode(episode(TEXTS, tmp_path), show, "edge", tmp_path / "cache")
    assert result.synthesized == len(TEXTS) and result.failed == 0
    assert stand_in.stats()["max_in_flight"] >= 6  # grew from 2


def test_a_throttling_service_is_backed_off_from_and_every_item_still_arrives(tmp_path, stand_in):  # noqa: F811
    stand_in.latency = 0.1
    stand_in.max_connections = 3
    show = show_at(tmp_path / "show", speech="jobs = 8\nmax_jobs = 16")
    result = synthesize_episode(episode(TEXTS, tmp_path), show, "edge", tmp_path / "cache")
    stats = stand_in.stats()
    assert result.synthesized == len(TEXTS) and result.failed == 0
    assert stats["max_in_flight"] <= 3
    assert 0 < stats["throttled"] <= 12  # refusals halve the requests at once: no storm of retries


def test_jobs_on_the_command_line_fix_the_number(tmp_path, stand_in):  # noqa: F811
    stand_in.latency = 0.1
    show = show_at(tmp_path / "show", speech="jobs = 2\nmax_jobs = 16")
    synthesize_episode(episode(TEXTS[:12], tmp_path), show, "edge", tmp_path / "cache", jobs=3)
    assert stand_in.stats()["max_in_flight"] <= 3


def test_max_jobs_alone_caps_the_start(tmp_path, stand_in):  # noqa: F811
    """A show that only lowers max_jobs (under the default start) is never sent more at once."""
    stand_in.latency = 0.1
    show = show_at(tmp_path / "show", speech="max_jobs = 3")
    result = synthesize_episode(episode(TEXTS, tmp_path), show, "edge", tmp_path / "cache")
    assert result.failed == 0 and stand_in.stats()["max_in_flight"] <= 3


def test_requests_go_in_episode_order_and_the_last_round_longest_first():
    """The audio stage encodes in episode order; the build ends with its last request: the final
    round (one request per slot) starts with its longest, so no long one is started last."""
    sizes = [[40], [10, 90], [30], [20, 80], [50], [60]]
    jobs = [ItemJob(i, f"item {i}", [Request("字" * n, VoiceSettings("zh-CN-XiaoxiaoNeural")) for n in item])
            for i, item in enumerate(sizes)]
    ranks = request_ranks(jobs, slots=4)
    order = sorted((r for j in jobs for r in j.requests), key=lambda r: ranks[id(r)])
    assert [len(r.text) for r in order] == [40, 10, 90, 30, 80, 60, 50, 20]


def test_max_jobs_under_jobs_is_one_clear_error(tmp_path):
    path = write_show(tmp_path / "show", speech="jobs = 8\nmax_jobs = 4")
    with pytest.raises(ConfigError, match="speech.max_jobs"):
        load_show(path)
