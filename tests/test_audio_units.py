"""The audio stage's parts: settings validation, the mix layout, fades, MP3 frame cutting, loudness maths, jingles."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.audio.encode import cut_clips, mp3_frames
from studio.audio.ffmpeg import Loudness, parse_ebur128, run_ffmpeg
from studio.audio.loudness import Master, correct, power_mean
from studio.audio.mix import Jingles, Layout, Part, PieceMix, fade, write_piece
from studio.core.config import load_show
from studio.core.errors import ConfigError
from tests.audio_helpers import RATE, decode
from tests.conftest import REPO, make_show


def show_with(tmp_path: Path, audio: str):
    root = make_show(tmp_path)
    text = (root / "show.toml").read_text("utf-8").split("[audio]")[0] + "[audio]\n" + audio
    (root / "show.toml").write_text(text, "utf-8")
    return root / "show.toml"


@pytest.mark.parametrize(
    "audio, key",
    [
        ("bitrate = 100\n", "audio.bitrate"),
        ("channels = 3\n", "audio.channels"),
        ("loudness = -5.0\n", "audio.loudness"),
        ("true_peak = 1.0\n", "audio.true_peak"),
        ("gap = -1\n", "audio.gap"),
        ("fade_out = \"slow\"\n", "audio.fade_out"),
        ("sample_rate = 22050\n", "audio.sample_rate"),
        ("intro_jingle = \"x.mp3\"\n", "audio.intro_jingle"),
    ],
)
def test_bad_audio_settings_name_the_key(tmp_path, audio, key):
    path = show_with(tmp_path, audio)
    with pytest.raises(ConfigError) as err:
        load_show(path)
    assert key in str(err.value) and "show.toml" in str(err.value)


def test_good_audio_settings_load(tmp_path):
    show = load_show(show_with(tmp_path, "channels = 2\nbitrate = 192\nloudness = -19\nstinger = \"assets/stinger.mp3\"\n"))
    assert (show.audio.channels, show.audio.bitrate, show.audio.loudness) == (2, 192, -19.0)


def test_parse_ebur128_summary():
    text = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -16.2 LUFS
    Threshold: -26.5 LUFS

  Loudness range:
    LRA:         4.1 LU
    Threshold: -36.4 LUFS
    LRA low:   -19.8 LUFS
    LRA high:  -15.7 LUFS

  True peak:
    Peak:       -1.3 dBFS
"""
    assert parse_ebur128("noise\n" + text) == Loudness(integrated=-16.2, true_peak=-1.3, lra=4.1)
    silent = text.replace("-16.2", "-70.0").replace("-1.3 dBFS", "-inf dBFS")
    assert parse_ebur128(silent).true_peak == -math.inf


def tone(seconds: float, amp: float = 0.5) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 440 * t) * amp * 32767).astype("<i2").tobytes()


@given(st.floats(0, 2), st.booleans(), st.floats(0.05, 3))
@settings(max_examples=30, deadline=None)
def test_fade_keeps_length_and_ends_silent(seconds, out, length):
    pcm = tone(length)
    faded = fade(pcm, 2, RATE, seconds, out=out)
    assert len(faded) == len(pcm)
    samples = np.frombuffer(faded, "<i2")
    n = min(len(samples), int(round(seconds * RATE)))
    if n >= 64:
        edge = samples[-(n // 20):] if out else samples[: n // 20]
        assert np.abs(edge).max() < 0.1 * 32767 * 0.5
        middle = samples[len(samples) - n // 2 - 50 : len(samples) - n // 2 + 50] if out else samples[n // 2 - 50 : n // 2 + 50]
        assert 0.3 * 32767 * 0.5 < np.abs(middle).max() < 0.7 * 32767 * 0.5 or n < 400


class FakeStage:
    """Parts held in memory, with the Stage interface write_mix uses."""

    def __init__(self):
        self.frame, self.rate, self.chunks = 2, RATE, {}

    def put(self, pcm: bytes) -> Part:
        part = Part(offset=len(self.chunks), size=len(pcm), loudness=Loudness(-20.0, -3.0), peak_db=-3.0)
        self.chunks[part.offset] = pcm
        return part

    def read(self, part: Part) -> bytes:
        return self.chunks[part.offset]


@given(
    st.lists(st.floats(0.0, 1.5), min_size=1, max_size=6),
    st.floats(0, 1), st.booleans(), st.booleans(), st.floats(0, 2),
)
@settings(max_examples=40, deadline=None)
def test_layout_is_exact(lengths, gap, with_intro, with_outro, under):
    stage = FakeStage()
    clips = [stage.put(tone(s)) for s in lengths]
    jingles = Jingles(intro=stage.put(tone(1.0, 0.2)) if with_intro else None,
                      outro=stage.put(tone(0.7, 0.2)) if with_outro else None)
    layout = Layout(gap, under, 0.1, 0.3)
    out = io.BytesIO()
    whole = PieceMix(0, clips, [0.0] * len(clips), -3.0)
    placements, total = write_piece(out, stage, whole, jingles, layout, new_section=lambda i: False)
    assert len(out.getvalue()) == total * 2
    gap_n = int(round(gap * RATE))
    voiced = [(c, p) for c, p in zip(clips, placements) if c.size]
    for c, p in zip(clips, placements):
        assert p.end - p.start == c.size // 2
    for (_, a), (_, b) in zip(voiced, voiced[1:]):
        assert b.start - a.end == gap_n  # exactly one gap between spoken items
    if voiced:
        first = voiced[0][1].start
        if with_intro:
            under_n = min(int(under * RATE), RATE, voiced[0][0].size // 2)
            assert first == RATE - under_n
        else:
            assert first == 0
        tail = int(0.7 * RATE) + gap_n if with_outro else 0
        assert total == voiced[-1][1].end + tail


@given(
    st.lists(st.sampled_from([0.0, 0.3, 0.8, 1.2]), min_size=2, max_size=7),
    st.lists(st.booleans(), min_size=7, max_size=7), st.booleans(), st.booleans(), st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_pieces_written_one_after_another_are_the_whole_mix(lengths, cut_wanted, with_intro, with_outro, with_stinger):
    """Cutting the episode into pieces (in the middle of gaps) changes no sample and no placement."""
    stage = FakeStage()
    clips = [stage.put(tone(s)) for s in lengths]
    jingles = Jingles(intro=stage.put(tone(1.0, 0.2)) if with_intro else None,
                      outro=stage.put(tone(0.7, 0.2)) if with_outro else None,
                      stinger=stage.put(tone(0.3, 0.3)) if with_stinger else None)
    layout = Layout(0.5, 0.4, 0.1, 0.3)
    gains = [-1.0 - 0.5 * i for i in range(len(clips))]
    new_section = lambda i: i % 2 == 1  # noqa: E731
    whole = io.BytesIO()
    placements, total = write_piece(whole, stage, PieceMix(0, clips, gains, -3.0), jingles, layout, new_section)
    # the planner's rule: a cut follows some speech and comes before an item with speech
    cuts = [i for i in range(len(clips) - 1)
            if cut_wanted[i] and any(c.size for c in clips[: i + 1]) and clips[i + 1].size]
    bounds = [0] + [i + 1 for i in cuts] + [len(clips)]
    joined, joined_placements, offset = b"", [], 0
    for n, (a, b) in enumerate(zip(bounds, bounds[1:])):
        out = io.BytesIO()
        mix = PieceMix(a, clips[a:b], gains[a:b], -3.0, intro=n == 0, outro=b == len(clips), after_cut=n > 0,
                       before_cut=b < len(clips), spoken_before=n > 0)
        got, frames = write_piece(out, stage, mix, jingles, layout, new_section)
        assert len(out.getvalue()) == frames * 2
        joined += out.getvalue()
        joined_placements += [(offset + p.start, offset + p.end) for p in got]
        offset += frames
    assert joined == whole.getvalue() and offset == total
    assert joined_placements == [(p.start, p.end) for p in placements]


@given(st.lists(st.sampled_from([0.3, 0.8, 1.2]), min_size=1, max_size=4), st.sampled_from([0.2, 0.6, 1.5]))
@settings(max_examples=30, deadline=None)
def test_a_piece_before_a_cut_fills_whole_mp3_frames_and_gives_up_only_silence(lengths, gap):
    stage = FakeStage()
    clips = [stage.put(tone(s)) for s in lengths]
    layout = Layout(gap, 0.0, 0.1, 0.3)
    plain, aligned = io.BytesIO(), io.BytesIO()
    common = dict(intro=True, outro=False, before_cut=True)
    _, n_plain = write_piece(plain, stage, PieceMix(0, clips, [0.0] * len(clips), 0.0, **common), Jingles(), layout, lambda i: False)
    placements, n = write_piece(aligned, stage, PieceMix(0, clips, [0.0] * len(clips), 0.0, align=1152, **common),
                                Jingles(), layout, lambda i: False)
    assert (n + 1152) % 1152 == 0  # with the frame the encoder adds: whole frames
    assert abs((n + 1152) - n_plain) <= 576  # the cut moved by at most half a frame
    speech_end = placements[-1].end
    assert aligned.getvalue()[: speech_end * 2] == plain.getvalue()[: speech_end * 2]
    assert not any(aligned.getvalue()[speech_end * 2 :])  # what follows the speech is silence


def test_clips_cut_from_mp3_frames_hold_the_right_audio(tmp_path):
    # 7 s: a silent second, a 440 Hz second, a silent second, a 880 Hz second, ...
    t = np.arange(RATE) / RATE
    parts = [np.sin(2 * np.pi * f * t) * 0.5 if f else np.zeros(RATE) for f in (0, 440, 0, 880, 0, 1320, 0)]
    pcm = (np.concatenate(parts) * 32767).astype("<i2").tobytes()
    mp3 = tmp_path / "e.mp3"
    run_ffmpeg(["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "96k", "-y", str(mp3)], pcm)
    offsets, per_frame, rate = mp3_frames(mp3.read_bytes())
    assert (per_frame, rate) == (1152, RATE)
    assert abs((len(offsets) - 1) * per_frame - 7 * RATE) <= 3 * per_frame
    outs = [tmp_path / f"c{n}.mp3" for n in range(3)]
    cut_clips(mp3, [(2 * n + 0.75, 2 * n + 2.25) for n in range(3)], outs)
    for n, out in enumerate(outs):
        audio = decode(out)
        assert abs(len(audio) / RATE - 1.5) <= 0.06
        spectrum = np.abs(np.fft.rfft(audio[int(0.4 * RATE) : int(1.1 * RATE)]))
        peak_hz = np.argmax(spectrum) * RATE / (int(1.1 * RATE) - int(0.4 * RATE))
        assert abs(peak_hz - 440 * (n + 1)) < 5


def test_power_mean_and_correction():
    assert power_mean([(-20.0, 1), (-20.0, 3)]) == pytest.approx(-20.0)
    assert power_mean([(-10.0, 1), (-70.0, 1)]) == pytest.approx(-13.01, abs=0.01)
    master = Master(5.0, None)
    assert correct(master, Loudness(-16.3, -2.0), -16.0, -1.0) is None
    fixed = correct(master, Loudness(-17.0, -3.0), -16.0, -1.0, slope=1.5)
    assert fixed.gain_db == pytest.approx(6.5) and fixed.limit_db is None
    limited = correct(Master(5.0, -2.0), Loudness(-16.0, -0.5), -16.0, -1.0)
    assert limited.limit_db < -2.0 - 0.5


def test_jingle_generator_is_deterministic_and_sized(tmp_path):
    from devtools.jingles import intro, outro, stinger, write_mp3

    a, b = intro(), intro()
    assert np.array_equal(a, b) and np.abs(a).max() <= 1.0
    assert 4.0 <= len(a) / RATE <= 6.0 and 3.0 <= len(outro()) / RATE <= 5.0
    assert abs(len(stinger()) / RATE - 0.8) < 0.01
    write_mp3(stinger(), tmp_path / "s.mp3")
    assert abs(len(decode(tmp_path / "s.mp3")) / RATE - 0.8) < 0.01


def test_shipped_assets():
    from PIL import Image

    with Image.open(REPO / "assets" / "cover.jpg") as img:
        assert img.size == (3000, 3000)
    for name, (lo, hi) in {"intro": (4, 6), "outro": (3, 5), "stinger": (0.5, 1)}.items():
        seconds = len(decode(REPO / "assets" / f"{name}.mp3")) / RATE
        assert lo <= seconds <= hi, name


def test_encoding_into_a_directory_with_awkward_characters(tmp_path):
    from studio.audio.encode import encode_master

    folder = tmp_path / "we[ir]d|dir: x'q"
    folder.mkdir()
    raw = folder / "in.raw"
    raw.write_bytes(tone(1.0))
    measured = encode_master(raw, RATE, 1, Master(0.0, None), folder / "out put.mp3", 96).loudness
    assert abs(len(decode(folder / "out put.mp3")) - RATE) <= 1
    assert measured.integrated == pytest.approx(-9.0, abs=1.5)  # a 440 Hz sine at half scale
