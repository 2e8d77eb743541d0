"""The offline engine: espeak-ng through ctypes, Mandarin and English, joined segments."""

from __future__ import annotations

from studio.audio.ffmpeg import decode_pcm
from studio.speech.assemble import clip_duration_ms
from studio.speech.synthesize import synthesize_episode
from tests.speech_support import episode, show_at


def test_espeak_reads_chinese_and_english_segments_into_one_clip(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_EDGE_WSS_URL", "ws://127.0.0.1:9/unreachable")
    show = show_at(tmp_path, speech='english_voice = "en-US-AriaNeural"')
    text = "英伟达发布新芯片。NVIDIA prints blowout earnings again. 市值突破一万亿美元。"
    result = synthesize_episode(episode([text], tmp_path), show, "espeak", tmp_path / "cache")
    (clip,) = result.clips
    assert result.engine == "espeak" and result.voices == [["zh-CN-XiaoxiaoNeural", "en-US-AriaNeural"]]
    assert clip.fmt == "wav"
    pcm = decode_pcm(clip.audio, 22050, 1)
    assert abs(len(pcm) / 2 / 22050 * 1000 - clip_duration_ms(clip)) < 50
    words = [b for b in clip.boundaries if b.kind == "word"]
    offsets = [w.offset_ms for w in words]
    assert offsets == sorted(offsets) and offsets[-1] < clip_duration_ms(clip)
    english = [w for w in words if w.text in ("NVIDIA", "prints", "blowout", "earnings", "again")]
    assert len(english) >= 3  # the English segment's words, shifted after the Chinese one
    assert english[0].offset_ms > words[0].offset_ms


def test_auto_falls_back_to_espeak_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_EDGE_WSS_URL", "ws://127.0.0.1:9/unreachable")
    show = show_at(tmp_path)
    result = synthesize_episode(episode(["你好。"], tmp_path), show, "auto", tmp_path / "cache")
    assert result.engine == "espeak"
    (warning,) = result.warnings
    assert "127.0.0.1:9" in warning and "espeak-ng" in warning
