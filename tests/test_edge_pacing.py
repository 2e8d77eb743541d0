"""The Edge stand-in's stream pacing (--rtf): the real edge-tts client sees the first audio after the latency and
the rest at the given real-time factor, as from the service; without pacing all audio arrives at once."""

from __future__ import annotations

import asyncio
import time

import edge_tts

from devtools.edge_server import EdgeStandIn
from studio.speech.edge import point_edge_tts_at_endpoint
from studio.speech.mp3frames import mp3_duration_ms

TEXT = "英伟达市值首度突破一万亿美元。华尔街分析师对英伟达的估值继续上调。这期节目就到这里，感谢收听。"


def arrivals(server: EdgeStandIn, monkeypatch) -> tuple[list[float], bytes]:
    """Seconds from the request to each audio chunk the client receives, and the audio."""
    monkeypatch.setenv("STUDIO_EDGE_WSS_URL", server.url)
    point_edge_tts_at_endpoint()

    async def listen():
        times, audio = [], b""
        t0 = time.monotonic()
        async for chunk in edge_tts.Communicate(TEXT, "zh-CN-XiaoxiaoNeural").stream():
            if chunk["type"] == "audio":
                times.append(time.monotonic() - t0)
                audio += chunk["data"]
        return times, audio

    return asyncio.run(listen())


def test_paced_stream_arrives_at_the_real_time_factor(monkeypatch):
    with EdgeStandIn(latency=0.3, rtf=0.25) as server:
        server.prerender([TEXT])
        times, audio = arrivals(server, monkeypatch)
    seconds = mp3_duration_ms(audio) / 1000
    assert seconds > 4 and len(times) >= 8
    assert times[0] >= 0.3  # the latency, then the first slice
    assert times[-1] - times[0] >= 0.9 * (seconds - 0.5) * 0.25  # the rest at a quarter of real time
    assert times[-1] < 0.3 + seconds * 0.25 + 5.0  # and not much slower (a loaded machine adds some)


def test_unpaced_stream_arrives_at_once(monkeypatch):
    with EdgeStandIn(latency=0.3) as server:
        server.prerender([TEXT])
        times, audio = arrivals(server, monkeypatch)
    assert mp3_duration_ms(audio) > 4000
    assert times[-1] - times[0] < 0.5
