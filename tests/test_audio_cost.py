"""What the audio stage spends per second of audio (issue 29): the same results for less CPU."""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import numpy as np
import pytest

from studio.audio import encode
from studio.audio.blocks import parse_blocks
from studio.audio.encode import METER, encode_master
from studio.audio.ffmpeg import decode_measured, decode_pcm, ffmpeg_exe, loopback_decoders, run_ffmpeg_stderr
from studio.audio.loudness import Master
from tests.audio_helpers import RATE, make_clip, speechlike


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cpu(fn) -> float:
    start = _children_cpu()
    fn()
    return _children_cpu() - start


@pytest.mark.parametrize("loopback", [True, False])
def test_a_piece_is_encoded_and_measured_on_its_mp3_by_one_ffmpeg(tmp_path, monkeypatch, loopback):
    """No second ffmpeg decoding a copy of the MP3 from a pipe: the encoder's own process decodes
    its packets; the blocks are exactly those of the written file, decoded as a player would.
    (An ffmpeg older than 7 has no loopback decoder: then two, measuring the same.)"""
    pcm = (speechlike(12.0, 5, RATE) * 0.9 * 32767).astype("<i2").tobytes()
    ffmpeg = ffmpeg_exe()  # (its first call runs `ffmpeg -version`)
    assert loopback_decoders()  # the bundled ffmpeg is 7 or newer
    monkeypatch.setattr(encode, "loopback_decoders", lambda: loopback)
    launched: list[list[str]] = []
    real = subprocess.Popen

    def counting(cmd, *args, **kwargs):
        launched.append(list(cmd))
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting)
    out = tmp_path / "piece.mp3"
    blocks = encode_master(lambda pipe: pipe.write(pcm), RATE, 1, Master(2.0, -2.0), out, 96)
    monkeypatch.undo()

    assert [cmd[0] for cmd in launched] == [ffmpeg] * (1 if loopback else 2)
    played = parse_blocks(run_ffmpeg_stderr(["-i", str(out), "-af", METER, "-f", "null", "-"]))
    assert len(blocks.momentary) == len(played.momentary) > 100
    if loopback:  # the very samples a player decodes (the Info header's delay trimmed alike)
        assert blocks.momentary == played.momentary and blocks.short_term == played.short_term
        assert blocks.true_peak == played.true_peak
    else:  # the copy has no Info header: its blocks start the encoder's delay (25 ms) earlier
        assert abs(blocks.loudness.integrated - played.loudness.integrated) <= 0.1
        assert abs(blocks.true_peak - played.true_peak) <= 0.1


def test_a_clip_is_decoded_and_measured_for_little_more_than_a_plain_decode():
    """Decoding + measuring a 30 s Edge-like clip (24 kHz MP3) costs at most 1.3x the CPU of a plain
    ffmpeg decode to the episode's rate (it cost ~1.5x: a sample-peak meter and the decoder's small
    frames handed one by one between ffmpeg's threads); the PCM is the plain decode's, bit for bit."""
    clip = make_clip(30.0, 3, "mp3").audio
    measured = baseline = 0.0
    for _ in range(7):  # interleaved: a busy machine slows both alike
        measured += _cpu(lambda: decode_measured(clip, RATE, 1))
        baseline += _cpu(lambda: decode_pcm(clip, RATE, 1))
    assert measured <= 1.3 * baseline, f"decode + measure {measured:.3f} s CPU vs plain decode {baseline:.3f} s"
    pcm, loudness = decode_measured(clip, RATE, 1)
    assert pcm == decode_pcm(clip, RATE, 1)
    samples = np.frombuffer(pcm, "<i2").astype(np.int32)
    assert abs(loudness.true_peak - 20 * np.log10(np.abs(samples).max() / 32768)) < 0.05  # the sample peak
    assert abs(loudness.integrated - -22.4) < 0.3  # speechlike() at 0.7 of full scale
