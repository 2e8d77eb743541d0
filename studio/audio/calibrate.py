"""Hit the loudness target on the encoded file: calibrate on excerpts, encode, verify, fix once.

The master gain predicted from the parts is right for the mix, but a limiter and the MP3 codec
take some loudness away (and the codec can raise true peaks). `calibrate` runs the real chain
(gain, limiter, encoder, decoder, meter) on up to three 15-second excerpts and corrects the gain
(secant steps, as a limiter driven harder takes more) and the limiter's ceiling; its cost does
not grow with the episode. `encode_to_spec` then encodes, measuring the MP3 as it is written,
and encodes once more only if the file still misses the target.
"""

from __future__ import annotations

import math
from pathlib import Path

from studio.audio.encode import encode_master
from studio.audio.ffmpeg import Loudness, measure_raw
from studio.audio.loudness import LIMIT_BELOW_CEILING_DB, Master, correct
from studio.config import AudioConfig

EXCERPT_S = 15.0  # longest excerpt (long episodes)
MIN_EXCERPT_S = 5.0  # shortest: a few seconds of speech calibrate a short episode just as well
TRIES = 6
CLOSE_LU = 0.1  # good enough on the excerpt
PEAK_MARGIN_DB = 0.3  # keep the excerpt's true peak this far under the ceiling


def excerpt_of(raw: Path, rate: int, channels: int, total: int, out: Path) -> None:
    """The whole mix when short, else three excerpts (at 1/6, 1/2 and 5/6 of it)."""
    frame = 2 * channels
    n = int(min(EXCERPT_S, max(MIN_EXCERPT_S, total / rate / 100)) * rate)  # ~1% of the episode
    if total <= 6 * n:
        windows = [(0, total)]
    else:
        windows = [(c - n // 2, c + n // 2) for c in (total // 6, total // 2, total * 5 // 6)]
    with open(raw, "rb") as src, open(out, "wb") as dst:
        for a, b in windows:
            src.seek(a * frame)
            dst.write(src.read((b - a) * frame))


def calibrate(raw: Path, rate: int, channels: int, total: int, master: Master, cfg: AudioConfig, tmp: Path) -> tuple[Master, float]:
    """Return the corrected master and the slope (dB of gain per LU gained) seen on the way."""
    excerpt = tmp / "excerpt.raw"
    excerpt_of(raw, rate, channels, total, excerpt)
    linear = measure_raw(excerpt, rate, channels).integrated
    if not math.isfinite(linear):
        return master, 1.0
    want = linear + master.gain_db  # what the gain alone gives on the excerpt: the target there
    ceiling = cfg.true_peak - PEAK_MARGIN_DB
    tried: list[tuple[float, float]] = []  # (gain, loudness after the chain) at the current limit
    for _ in range(TRIES):
        got = encode_master(excerpt, rate, channels, master, None, cfg.bitrate)
        if got.true_peak > ceiling:  # (more) limiting needed: lower the ceiling, start over
            limit = master.limit_db if master.limit_db is not None else cfg.true_peak - LIMIT_BELOW_CEILING_DB + 0.5
            gain = master.gain_db + max(0.0, want - got.integrated)  # more limiting will take more
            master = Master(min(gain, master.gain_db + 12), limit - (got.true_peak - ceiling) - 0.1)
            tried = []
            continue
        tried.append((master.gain_db, got.integrated))
        if abs(got.integrated - want) <= CLOSE_LU:
            break
        gain = master.gain_db + (want - got.integrated)
        if len(tried) >= 2 and abs(tried[-1][1] - tried[-2][1]) > 0.05:  # secant step
            (g0, l0), (g1, l1) = tried[-2:]
            gain = g1 + (want - l1) * (g1 - g0) / (l1 - l0)
        master = Master(min(gain, master.gain_db + 12), master.limit_db)
    excerpt.unlink()
    slope = 1.0
    if len(tried) >= 2 and abs(tried[-1][1] - tried[-2][1]) > 0.05:
        slope = min(4.0, max(1.0, (tried[-1][0] - tried[-2][0]) / (tried[-1][1] - tried[-2][1])))
    return master, slope


def encode_to_spec(raw: Path, rate: int, channels: int, master: Master, slope: float, mp3: Path, cfg: AudioConfig) -> tuple[Master, Loudness, int]:
    """Encode (measuring the MP3 on the way); encode once more with a corrected gain if it misses."""
    measured = encode_master(raw, rate, channels, master, mp3, cfg.bitrate)
    fix = correct(master, measured, cfg.loudness, cfg.true_peak, slope)
    if fix is None:
        return master, measured, 1
    return fix, encode_master(raw, rate, channels, fix, mp3, cfg.bitrate), 2
