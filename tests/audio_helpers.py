"""Audio analysis for tests: decode with the bundled ffmpeg, make test clips, find a clip in a mix."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from studio.audio.ffmpeg import decode_pcm, measure_file, run_ffmpeg
from studio.speech.base import Clip

RATE = 44100


def decode(source: Path | bytes, rate: int = RATE, channels: int = 1) -> np.ndarray:
    """Decoded samples as float32 in [-1, 1), shape (frames,) or (frames, channels)."""
    pcm = np.frombuffer(decode_pcm(source, rate, channels), dtype="<i2").astype(np.float32) / 32768
    return pcm if channels == 1 else pcm.reshape(-1, channels)


def speechlike(seconds: float, seed: int, rate: int) -> np.ndarray:
    """Noise shaped into 'syllables' (4-6 Hz bursts with pauses): speech-like loudness and crest."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    noise = rng.standard_normal(n)
    # a gentle low-pass so it is not white: running mean over a few samples
    noise = np.convolve(noise, np.ones(4) / 4, mode="same")
    t = np.arange(n) / rate
    syllables = np.clip(np.sin(2 * np.pi * (4 + seed % 3) * t + seed), 0, None) ** 2
    words = (np.sin(2 * np.pi * 0.7 * t + seed) > -0.6).astype(float)
    out = noise * syllables * words
    return out / np.abs(out).max() * 0.7


def make_clip(seconds: float, seed: int, fmt: str, level: float = 1.0) -> Clip:
    """A test 'speech' clip shaped like the engines' output: Edge = 24 kHz mono MP3, espeak = 22.05 kHz WAV."""
    rate = 24000 if fmt == "mp3" else 22050
    samples = (speechlike(seconds, seed, rate) * level * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    data = buf.getvalue()
    if fmt == "mp3":
        data = run_ffmpeg(["-f", "wav", "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", "pipe:1"], data)
    return Clip(audio=data, fmt=fmt, engine="test")


def locate(needle: np.ndarray, haystack: np.ndarray, around: int, search: int) -> tuple[int, float]:
    """Where `needle` best matches inside haystack[around - search : around + search + len(needle)].

    Normalised cross-correlation via FFT; returns (sample index, correlation 0..1).
    """
    lo = max(0, around - search)
    hi = min(len(haystack), around + search + len(needle))
    window = haystack[lo:hi].astype(np.float64)
    needle = needle.astype(np.float64)
    m = len(needle)
    size = 1 << int(np.ceil(np.log2(len(window) + m)))
    corr = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(needle, size)), size)[: len(window) - m + 1]
    csum = np.concatenate(([0.0], np.cumsum(window**2)))
    energy = csum[m:] - csum[:-m]  # sliding sum of squares under the needle
    score = corr / np.sqrt(np.maximum(energy, 1e-12) * np.sum(needle**2))
    best = int(np.argmax(score))
    return lo + best, float(score[best])


def loudness(path: Path):
    """Integrated loudness / true peak of a file as measured by the bundled ffmpeg (ebur128)."""
    return measure_file(path)
