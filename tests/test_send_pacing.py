"""The adaptive pace and the reading of server answers (studio.mail), on their own: real asyncio timing; and the
[smtp]/[ses] settings' checks."""

from __future__ import annotations

import asyncio
import time

import pytest

from studio.core.config import load_show
from studio.core.errors import ConfigError
from studio.mail.outcome import reply_outcome
from studio.mail.pacing import HOLD, AdaptiveRate
from tests.conftest import make_show


async def _drive(pacer: AdaptiveRate, seconds: float, workers: int = 8, work: float = 0.0) -> list[float]:
    start, times = time.monotonic(), []

    async def worker() -> None:
        while time.monotonic() - start < seconds:
            await pacer.slot()
            times.append(time.monotonic() - start)
            await asyncio.sleep(work)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return times


def test_the_pace_doubles_while_used_and_stops_at_the_ceiling():
    pacer = AdaptiveRate(ceiling=200)
    times = asyncio.run(_drive(pacer, 2.0))
    assert pacer.rate == 200  # from 10/s to the ceiling in well under two seconds
    late = [t for t in times if t >= 1.5]
    assert len(late) / 0.5 <= 200 * 1.1  # and no faster than the ceiling once there
    assert sum(1 for t in times if t < 0.5) < 25  # it started slowly


def test_the_pace_does_not_grow_when_the_server_is_the_limit():
    pacer = AdaptiveRate(ceiling=1000)
    asyncio.run(_drive(pacer, 1.5, workers=2, work=0.05))  # two senders at 20 messages/s each
    assert pacer.rate < 100  # at most a step above the 40 messages/s they can use


def test_slow_down_backs_off_once_per_episode_and_keeps_a_floor():
    pacer = AdaptiveRate(ceiling=100, start=100)
    pacer.slow_down()
    pacer.slow_down()  # the same episode: answers to messages already on their way
    assert pacer.rate == pytest.approx(70) and pacer.backoffs == 1
    time.sleep(HOLD + 0.05)
    pacer.slow_down()
    assert pacer.rate == pytest.approx(49) and pacer.backoffs == 2
    for _ in range(30):
        pacer._backoff_at = float("-inf")
        pacer.slow_down()
    assert pacer.rate == pacer.floor == 0.5


@pytest.mark.parametrize("code, text, status, throttle, quota", [
    (250, "2.0.0 queued", "accepted", False, False),
    (421, "4.7.0 Too many connections, try again later", "deferred", True, False),
    (451, "4.7.1 Message rate exceeded, slow down", "deferred", True, False),
    (451, "4.7.1 greylisted, try again later", "deferred", True, False),
    (454, "Throttling failure: Maximum sending rate exceeded", "deferred", True, False),
    (454, "Throttling failure: Daily message quota exceeded", "deferred", False, True),
    (451, "4.3.0 mailbox temporarily unavailable", "deferred", False, False),
    (452, "4.2.2 mailbox full", "deferred", False, False),
    (550, "5.1.1 <x@example.com>: Recipient address rejected: User unknown", "refused", False, False),
    (554, "5.2.2 quota exceeded", "refused", False, False),
])
def test_server_answers_are_read_as_a_sender_should(code, text, status, throttle, quota):
    outcome = reply_outcome(code, text)
    assert (outcome.status, outcome.throttle, outcome.quota) == (status, throttle, quota)
    assert outcome.reason == f"{code} {text}"


@pytest.mark.parametrize("section, line, problem", [
    ("smtp", "connections = 0", "smtp.connections"),
    ("smtp", "retries = 11", "smtp.retries"),
    ("smtp", 'transport = "sendgrid"', "smtp.transport"),
    ("smtp", "rate = 1000000", "smtp.rate"),
    ("ses", 'region = "Europe"', "ses.region"),
    ("ses", 'endpoint_url = "ftp://x"', "ses.endpoint_url"),
])
def test_bad_sending_settings_are_one_clear_line(tmp_path, section, line, problem):
    root = make_show(tmp_path)
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write(f"\n[{section}]\n{line}\n")
    with pytest.raises(ConfigError) as e:
        load_show(root / "show.toml")
    assert problem in str(e.value) and "show.toml" in str(e.value) and "\n" not in str(e.value)
