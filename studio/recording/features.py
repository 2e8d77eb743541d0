"""Spectral features for alignment: MFCCs every 40 ms, normalised per recording, silence marked.

Audio comes at 16 kHz mono (studio.recording.take decodes a recording a block at a time, so
a 60-minute file never sits in memory as samples); each frame is a 64 ms Hann window. Only the first five
cepstral coefficients are kept (the spectral envelope: what is said, more than who says it),
normalised on the sequence's own voiced frames (mean and variance), which takes out most of
what differs between two voices and two microphones. Quiet frames (far under the speech
level, or near the noise floor) become the zero vector, so a pause matches a pause whatever
the room noise; one more dimension says how loud the frame is. Each frame finally carries
its neighbours 80 and 160 ms away on both sides: a frame then describes a short stretch of
sound, which tells two voices' phones apart far better than one frame does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

RATE = 16000
HOP = 640  # 40 ms
FFT_WINDOW = 1024  # 64 ms
FRAME_S = HOP / RATE
MELS = 40
KEPT = 5  # c1..c5 (c0, the level, is replaced by the loudness dimension)
LOUDNESS_WEIGHT = 2.5
QUIET_BELOW_DB = 35.0  # under the speech level: not speech
ABOVE_FLOOR_DB = 8.0  # ...nor is anything this close to the noise floor
CONTEXT = (2, 4)  # neighbours (frames before and after) stacked onto each frame
CONTEXT_WEIGHT = 0.7
DIMS = (KEPT + 1) * (1 + 2 * len(CONTEXT))
LOUD = KEPT  # the column that is 0 for quiet frames
BLOCK_FRAMES = 1024  # frames analysed at once (a few MB of work)


@functools.cache
def _mel_matrix() -> np.ndarray:
    def mel(f):
        return 2595 * np.log10(1 + f / 700)

    def hz(m):
        return 700 * (10 ** (m / 2595) - 1)

    edges = hz(np.linspace(mel(60), mel(7600), MELS + 2))
    bins = np.fft.rfftfreq(FFT_WINDOW, 1 / RATE)
    fb = np.zeros((MELS, len(bins)), np.float32)
    for k in range(MELS):
        lo, mid, hi = edges[k : k + 3]
        fb[k] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return fb


@functools.cache
def _dct_matrix() -> np.ndarray:
    n = np.arange(MELS)
    return np.stack([np.cos(np.pi * k * (n + 0.5) / MELS) for k in range(1, KEPT + 1)]).astype(np.float32)


@functools.cache
def _hann() -> np.ndarray:
    return np.hanning(FFT_WINDOW).astype(np.float32)


@dataclass
class Features:
    """Per-frame features of one sound: `cepstra` (frames, KEPT) raw, `level_db` (frames,)."""

    cepstra: np.ndarray
    level_db: np.ndarray

    def __len__(self) -> int:
        return len(self.level_db)


def analyse(samples: np.ndarray) -> Features:
    """MFCCs and frame levels of float32 samples at RATE (frame k starts at k * HOP)."""
    count = max(0, (len(samples) - FFT_WINDOW) // HOP + 1) if len(samples) >= FFT_WINDOW else (1 if len(samples) else 0)
    if len(samples) < FFT_WINDOW:
        samples = np.pad(samples, (0, FFT_WINDOW - len(samples)))
    cep = np.empty((count, KEPT), np.float32)
    level = np.empty(count, np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(samples, FFT_WINDOW)[::HOP]
    for start in range(0, count, BLOCK_FRAMES):
        frames = windows[start : start + BLOCK_FRAMES]
        n = len(frames)
        level[start : start + n] = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
        power = np.abs(np.fft.rfft(frames * _hann(), axis=1)) ** 2
        logmel = np.log(power.astype(np.float32) @ _mel_matrix().T + 1e-9)
        cep[start : start + n] = logmel @ _dct_matrix().T
    return Features(cep, level)


def join_features(parts: list[Features]) -> Features:
    return Features(np.concatenate([p.cepstra for p in parts]), np.concatenate([p.level_db for p in parts]))


def voiced(level_db: np.ndarray) -> np.ndarray:
    """Frames loud enough to be speech: within QUIET_BELOW_DB of the speech level, ABOVE_FLOOR_DB over the floor."""
    if not len(level_db):
        return np.zeros(0, bool)
    speech, floor = np.percentile(level_db, [95, 2])
    return level_db > max(speech - QUIET_BELOW_DB, floor + ABOVE_FLOOR_DB)


def normalised(f: Features) -> np.ndarray:
    """(frames, DIMS) float32: z-scored cepstra on voiced frames (zero elsewhere) and loudness, with context."""
    mask = voiced(f.level_db)
    base = np.zeros((len(f), KEPT + 1), np.float32)
    if mask.sum() >= 2:
        sel = f.cepstra[mask]
        base[mask, :KEPT] = (sel - sel.mean(axis=0)) / (sel.std(axis=0) + 1e-6)
        speech = np.percentile(f.level_db, 95)
        loud = np.clip((f.level_db - speech + QUIET_BELOW_DB) / QUIET_BELOW_DB, 0.05, 1.2)
        base[mask, LOUD] = LOUDNESS_WEIGHT * loud[mask]
    parts = [base]
    for shift in CONTEXT:
        for step in (-shift, shift):
            moved = np.zeros_like(base)
            if step > 0:
                moved[:-step] = base[step:]
            else:
                moved[-step:] = base[:step]
            parts.append(moved * CONTEXT_WEIGHT)
    return np.concatenate(parts, axis=1)
