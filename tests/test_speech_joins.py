"""An item spoken in several requests sounds like one: the service's padding at each join is cut to
the voice's own pause between sentences, never a frame with sound, and the words keep their times
(the real edge-tts client against the stand-in, decoded by the real ffmpeg)."""

from __future__ import annotations

import array

import pytest

from studio.audio.ffmpeg import decode_pcm, run_ffmpeg
from studio.speech.mp3frames import layer3_frames, mp3_duration_ms
from studio.speech.synthesize import synthesize_episode
from tests.speech_support import episode, show_at, stand_in  # noqa: F401 (fixture)

RATE = 24000
QUIET = 300  # |sample| under this is silence (-40 dBFS)
SENTENCES = [f"第{k}条消息：英伟达发布了新的芯片，性能提升了{k}倍。" for k in range(1, 13)]


def silences(pcm: bytes, min_ms: float = 80) -> list[tuple[float, float]]:
    """(start, length) in ms of every run of quiet samples at least `min_ms` long, inside the sound."""
    samples = array.array("h", pcm)
    loud = [i for i, v in enumerate(samples) if abs(v) >= QUIET]
    runs = []
    for a, b in zip(loud, loud[1:]):
        if (b - a) / RATE * 1000 >= min_ms:
            runs.append((a / RATE * 1000, (b - a) / RATE * 1000))
    return runs


def test_the_pause_where_two_requests_meet_is_the_voices_own(tmp_path, stand_in):  # noqa: F811
    stand_in.pad_ms = 800  # as the real service pads every answer
    text = "".join(SENTENCES)
    result = synthesize_episode(episode([text], tmp_path), show_at(tmp_path / "show"), "edge", tmp_path / "cache")
    parts = sorted(stand_in.texts, key=text.index)  # in the item's order (they run at once)
    assert result.requests >= 3 and "".join(parts) == text  # split at whole sentences
    clip = result.clips[0]
    pcm = decode_pcm(clip.audio, RATE, 1)

    inside = []  # the voice's pauses between sentences within one answer
    for part in parts:
        alone = decode_pcm(stand_in._render("zh-CN-XiaoxiaoNeural", part).mp3, RATE, 1)
        inside += [length for _, length in silences(alone)]
    longest_own = max(inside)
    joined = [length for _, length in silences(pcm)]
    assert max(joined) <= longest_own + 50, (max(joined), longest_own)  # no 0.8 s hole at a join

    # nothing spoken was lost: the joined clip is the answers' audio minus silence only
    sound = sum(abs(v) >= QUIET for v in array.array("h", pcm))
    spoken = sum(sum(abs(v) >= QUIET for v in array.array("h", decode_pcm(stand_in._render(
        "zh-CN-XiaoxiaoNeural", p).mp3, RATE, 1))) for p in parts)
    assert abs(sound - spoken) <= 0.01 * spoken

    # every word keeps its time: where sound resumes after a pause, a word starts, the same few ms
    # later all through the clip (the decoder's delay), after a join as before the first
    words = [b for b in clip.boundaries if b.kind == "word" and b.text.strip()]
    assert [w.offset_ms for w in words] == sorted(w.offset_ms for w in words)
    assert words[-1].offset_ms + words[-1].duration_ms <= mp3_duration_ms(clip.audio)
    resumes = [start + length for start, length in silences(pcm, 150)]
    lags = [r - max((w.offset_ms for w in words if w.offset_ms <= r + 20), default=-1e9) for r in resumes]
    assert len(resumes) >= len(SENTENCES) - 1
    per_sentence = 3  # each sentence pauses after "消息：", "芯片，" and "。": three kinds of onset
    assert all(abs(lag - lags[i % per_sentence]) <= 15 for i, lag in enumerate(lags)), lags  # no drift at a join


def test_joins_keep_a_padding_that_is_already_short(tmp_path, stand_in):  # noqa: F811
    """Answers that end right after their last word are joined as they are (nothing to cut)."""
    text = "".join(SENTENCES[:8])
    result = synthesize_episode(episode([text], tmp_path), show_at(tmp_path / "show"), "edge", tmp_path / "cache")
    answers = [stand_in._render("zh-CN-XiaoxiaoNeural", p).mp3 for p in sorted(stand_in.texts, key=text.index)]
    assert len(answers) >= 2
    assert result.clips[0].audio == b"".join(answers)


@pytest.mark.parametrize("rate,bitrate,channels", [(24000, 48, 1), (44100, 128, 1), (44100, 128, 2), (16000, 32, 1)])
def test_frames_marked_silent_decode_to_silence_and_speech_never_does(tmp_path, rate, bitrate, channels):
    """The side-information test for silence, checked against ffmpeg decoding each frame's audio."""
    tone = run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration=1",
                       "-f", "lavfi", "-i", f"anullsrc=r={rate}:cl=mono", "-filter_complex",
                       "[1]atrim=duration=0.7[s];[0][s]concat=n=2:v=0:a=1,volume=0.5", "-ac", str(channels),
                       "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-write_xing", "0", "-f", "mp3", "pipe:1"])
    frames = layer3_frames(tone)
    flags = "".join("." if f.silent else "#" for f in frames)
    per = frames[0].samples
    assert 0.9 * 1.0 * rate / per <= flags.index(".") <= 1.3 * rate / per  # the tone is never called silent
    assert flags.rstrip(".") == flags[: flags.index(".")]  # then only silence
    assert len(flags) - flags.index(".") >= 0.5 * rate / per  # most of the 0.7 s of silence is seen
    cut = tone[: frames[flags.index(".") + 2].offset]  # the tone and two silent frames after it
    full = decode_pcm(tone, rate, 1)
    kept = decode_pcm(cut, rate, 1)
    assert array.array("h", kept)[: len(kept) // 2 - 4 * per] == array.array("h", full)[: len(kept) // 2 - 4 * per]
