"""Transcripts: clip boundaries shifted into the episode -> VTT and SRT cues."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.speech.base import Boundary, Clip
from studio.speech.transcript import CUE_LINE_MAX, write_transcripts
from tests.speech_support import parse_cues

WORDS = st.lists(st.sampled_from(["英伟达", "市值", "突破", "GPU", "demand", "。", "，", "数据中心", "market", "!"]),
                 min_size=1, max_size=80)


def clip_from(words: list[str], gap_ms: float = 50, dur_ms: float = 200) -> Clip:
    text, bounds, t = "", [], 0.0
    for w in words:
        text += (" " if text and w.isascii() and w.isalnum() else "") + w
        if any(ch.isalnum() for ch in w):
            bounds.append(Boundary("word", t, dur_ms, w))
            t += dur_ms + gap_ms
    return Clip(audio=b"", fmt="mp3", boundaries=bounds, text=text)


@settings(max_examples=40, deadline=None)
@given(items=st.lists(WORDS, min_size=1, max_size=4))
def test_cues_are_ordered_short_and_inside_their_item(tmp_path_factory, items):
    ep_dir = tmp_path_factory.mktemp("ep")
    clips = [clip_from(ws) for ws in items]
    starts, t = [], 500.0
    for c in clips:
        starts.append(t)
        t += (c.boundaries[-1].offset_ms + 400 if c.boundaries else 0) + 600
    write_transcripts(ep_dir, clips, starts)
    cues = parse_cues((ep_dir / "transcript.vtt").read_text("utf-8"))
    srt = (ep_dir / "transcript.srt").read_text("utf-8")
    assert srt.count(" --> ") == len(cues)
    for (s1, e1, _), (s2, _, _) in zip(cues, cues[1:]):
        assert s1 < e1 <= s2
    assert all(0 < len(text) <= CUE_LINE_MAX for _, _, text in cues)
    spoken = "".join(w for ws in items for w in ws if any(ch.isalnum() for ch in w))
    assert "".join(t for _, _, t in cues).replace(" ", "").count("英伟达") == spoken.count("英伟达")
    assert (cues[0][0] >= 0.5) if cues else not spoken


def test_cues_follow_sentences_and_shift_by_clip_start(tmp_path):
    clip = clip_from(["英伟达", "市值", "突破", "。", "GPU", "demand", "soars", "!"])
    write_transcripts(tmp_path, [clip], [10_000.0])
    cues = parse_cues((tmp_path / "transcript.vtt").read_text("utf-8"))
    assert [c[2] for c in cues] == ["英伟达市值突破。", "GPU demand soars!"]
    assert cues[0][0] == 10.0 and abs(cues[1][0] - (10 + 3 * 0.25)) < 1e-6
    srt = (tmp_path / "transcript.srt").read_text("utf-8")
    assert srt.startswith("1\n00:00:10,000 --> 00:00:10,") and "\n2\n00:00:10,750 --> " in srt


def test_vtt_escapes_markup(tmp_path):
    clip = Clip(audio=b"", fmt="mp3", boundaries=[Boundary("word", 0, 300, "A&B"), Boundary("word", 300, 300, "<x>")],
                text="A&B <x>")
    write_transcripts(tmp_path, [clip], [0.0])
    vtt = (tmp_path / "transcript.vtt").read_text("utf-8")
    assert "A&amp;B &lt;x&gt;" in vtt
