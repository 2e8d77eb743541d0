"""The real edge-tts client against the local stand-in of the Edge service."""

from __future__ import annotations

import asyncio

import pytest

from devtools.edge_server import Fault
from studio.audio.ffmpeg import decode_pcm
from studio.core.errors import SpeechError
from studio.speech.mp3frames import mp3_duration_ms
from studio.speech.synthesize import synthesize_episode
from tests.speech_support import cache_entries, episode, show_at, stand_in  # noqa: F401

TEXTS = [
    "大家好，这里是本周的科技新闻。",
    "英伟达市值首度突破一万亿美元。华尔街分析师对英伟达的估值继续上调。",
    "这期节目就到这里，感谢收听。",
]


def speak(tmp_path, texts=TEXTS, engine="edge", jobs=4, **show_kw):
    show = show_at(tmp_path, **show_kw)
    ep = episode(texts, tmp_path)
    return synthesize_episode(ep, show, engine, tmp_path / "cache", jobs=jobs, seed=1)


def test_happy_path_real_mp3_with_word_boundaries(tmp_path, stand_in):
    result = speak(tmp_path)
    assert result.engine == "edge" and result.synthesized == 3 and result.retried == 0
    assert stand_in.requests == 3 and stand_in.outcomes == ["ok"] * 3
    for clip, text in zip(result.clips, TEXTS):
        assert clip.fmt == "mp3"
        a = clip.audio  # the service's format: MPEG-2 Layer III, 48 kbps, 24 kHz, mono
        assert (a[0], a[1] >> 1 & 0xF, a[2] >> 4, a[2] >> 2 & 3, a[3] >> 6) == (0xFF, 0b1001, 6, 1, 3)
        pcm = decode_pcm(clip.audio, 24000, 1)  # real MP3: ffmpeg decodes it
        decoded_ms = len(pcm) / 2 / 24000 * 1000
        assert decoded_ms > 1000 and abs(decoded_ms - mp3_duration_ms(clip.audio)) < 150
        words = [b for b in clip.boundaries if b.kind == "word"]
        assert len(words) >= 5
        assert all(w.text in text for w in words)
        offsets = [w.offset_ms for w in words]
        assert offsets == sorted(offsets) and offsets[-1] < decoded_ms


def test_stand_in_refuses_punctuation_only_text_like_the_service(stand_in):
    """Why '……' chunks must never be sent: the service answers them with no audio."""
    import edge_tts
    from edge_tts.exceptions import NoAudioReceived

    from studio.speech.edge import point_edge_tts_at_endpoint

    point_edge_tts_at_endpoint()

    async def run():
        async for _ in edge_tts.Communicate("……", "zh-CN-XiaoxiaoNeural").stream():
            pass

    with pytest.raises(NoAudioReceived):
        asyncio.run(run())


def test_403_once_is_absorbed_and_403_twice_is_retried(tmp_path, stand_in):
    stand_in.faults.append(Fault("403", first=1))
    result = speak(tmp_path, TEXTS[:1])
    # edge-tts itself re-connects once after a 403 (clock-skew fix): two handshakes, no retry of ours
    assert stand_in.requests == 2 and result.retried == 0 and result.synthesized == 1

    stand_in.reset_counts()
    stand_in.faults[:] = [Fault("403", first=2)]
    result = speak(tmp_path / "b", TEXTS[:1])
    assert stand_in.requests == 3 and result.retried == 1 and result.synthesized == 1


@pytest.mark.parametrize("kind", ["drop", "close", "no_audio", "truncate"])
def test_broken_streams_are_retried_until_the_clip_is_complete(tmp_path, stand_in, kind):
    stand_in.faults.append(Fault(kind, first=1, match="英伟达"))
    result = speak(tmp_path)
    assert result.retried == 1 and result.failed == 0
    assert stand_in.outcomes.count(kind) == 1 and stand_in.outcomes.count("ok") == 3
    # the retried clip is the whole clip: words reach the end of the text
    clip = result.clips[1]
    assert clip.boundaries[-1].text in TEXTS[1][-8:]
    assert mp3_duration_ms(clip.audio) >= clip.boundaries[-1].offset_ms


def test_timeout_is_retried(tmp_path, stand_in):
    stand_in.faults.append(Fault("stall", first=1))
    result = speak(tmp_path, TEXTS[:1], speech="timeout = 2")
    assert result.retried == 1 and result.synthesized == 1


def test_latency_overlaps_up_to_jobs_requests(tmp_path, stand_in):
    stand_in.latency = 0.2
    texts = [f"第{n}条新闻。" for n in range(1, 6)]
    speak(tmp_path / "a", texts, jobs=3)
    assert stand_in.max_in_flight == 3
    stand_in.reset_counts()
    speak(tmp_path / "b", texts, jobs=1)
    assert stand_in.max_in_flight == 1


def test_permanent_failure_names_item_and_cause_and_keeps_other_clips(tmp_path, stand_in):
    stand_in.faults.append(Fault("no_audio", first=None, match="英伟达"))
    with pytest.raises(SpeechError) as err:
        speak(tmp_path, speech="retries = 2")
    msg = str(err.value)
    assert "\n" not in msg
    assert "item 2 ('Story 2')" in msg and "NoAudioReceived" in msg and "3 attempts" in msg
    assert msg.startswith(str(tmp_path / "episode.md"))
    assert cache_entries(tmp_path / "cache") == 2  # items 1 and 3 were kept
    # once the service recovers, only the failed item is synthesized
    stand_in.faults.clear()
    stand_in.reset_counts()
    result = speak(tmp_path)
    assert (result.synthesized, result.cached, stand_in.requests) == (1, 2, 1)


def test_rebuild_is_served_from_cache_without_any_request(tmp_path, stand_in):
    speak(tmp_path, engine="auto")
    stand_in.reset_counts()
    result = speak(tmp_path, engine="auto")
    assert (result.synthesized, result.cached, result.engine) == (0, 3, "edge")
    assert stand_in.requests == 0 and result.warnings == []


def test_editing_one_item_resynthesizes_exactly_that_item(tmp_path, stand_in):
    speak(tmp_path)
    stand_in.reset_counts()
    edited = [TEXTS[0], TEXTS[1].replace("一万亿", "两万亿"), TEXTS[2]]
    result = speak(tmp_path, edited)
    assert (result.synthesized, result.cached) == (1, 2)
    assert stand_in.texts == [edited[1]]


def test_long_item_is_split_at_sentences_under_the_request_limit(tmp_path, stand_in):
    long_text = "".join(f"第{k}次，人工智能的发展速度超出了许多研究者的预期，产业界和学术界都在重新评估未来的路线图。"
                        for k in range(40))  # ~5 KB of UTF-8, no two sentences alike
    result = speak(tmp_path, [long_text], speech="timeout = 120")  # the stand-in renders 1.3k characters per chunk
    assert len(stand_in.texts) >= 2
    assert all(n <= 4096 for n in stand_in.ssml_bytes)
    assert all(t.endswith("。") for t in stand_in.texts)
    assert "".join(sorted(stand_in.texts, key=long_text.index)) == long_text  # sent at once: any order
    words = [b for b in result.clips[0].boundaries if b.kind == "word"]
    offsets = [w.offset_ms for w in words]
    assert offsets == sorted(offsets)
    assert offsets[-1] > 0.9 * mp3_duration_ms(result.clips[0].audio) - 3000


def test_punctuation_only_chunks_are_never_sent(tmp_path, stand_in):
    texts = ["第一句话。……", "……", "好的。！？……。第二句话。"]
    result = speak(tmp_path, texts, speech="")
    assert result.failed == 0
    assert stand_in.texts and all(any(ch.isalnum() for ch in t) for t in stand_in.texts)
    assert len(stand_in.texts) == 2  # the item that is only "……" sends nothing and gets a short silence
    assert result.clips[1].fmt == "wav" and result.clips[1].boundaries == []


def test_the_same_text_in_two_items_is_requested_once(tmp_path, stand_in):
    texts = ["下面是工具篇。", TEXTS[0], "下面是工具篇。"]
    result = speak(tmp_path, texts)
    assert stand_in.requests == 2 and result.synthesized == 3
    assert result.clips[0].audio == result.clips[2].audio and result.clips[0].boundaries
