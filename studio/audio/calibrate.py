"""Hit the loudness target on the encoded file with one encode in the common case.

The master gain predicted from the parts' measurements (studio.audio.loudness.plan_master) is
right for the mix as long as nothing non-linear follows: then the episode is encoded once and
the MP3 measured on the way. A limiter is where prediction is known to miss (the louder it is
driven, the more loudness it takes), so only then `calibrate` runs the gain + limiter chain on
up to three 15-second speech excerpts taken from the staged clips (no encoding, no mix file)
and corrects the gain (secant steps) and the limiter's ceiling. `encode_to_spec` encodes,
and encodes once more only if the MP3 still misses the target.
"""

from __future__ import annotations

import math

from studio.audio.encode import Feed, encode_master, master_filter
from studio.audio.ffmpeg import MEASURE, Loudness, run_ffmpeg_measured
from studio.audio.loudness import LIMIT_BELOW_CEILING_DB, Master, correct
from studio.audio.mix import Part, Stage, apply_gain
from studio.config import AudioConfig

EXCERPT_S = 15.0  # longest excerpt (long episodes)
MIN_EXCERPT_S = 5.0  # shortest: a few seconds of speech calibrate a short episode just as well
TRIES = 6
CLOSE_LU = 0.1  # good enough on the excerpt
PEAK_MARGIN_DB = 0.5  # keep the excerpt's true peak this far under the ceiling (the codec adds some)


def excerpt_of(stage: Stage, parts: list[Part], gains: list[float]) -> bytes:
    """The levelled speech when short, else three windows of it (at 1/6, 1/2 and 5/6)."""
    voiced = [(p, g) for p, g in zip(parts, gains) if not p.silent]
    frame = stage.frame
    total = sum(p.size for p, _ in voiced)
    n = int(min(EXCERPT_S, max(MIN_EXCERPT_S, total / frame / stage.rate / 100)) * stage.rate) * frame
    if total <= 6 * n:
        return b"".join(apply_gain(stage.read(p), g) for p, g in voiced)
    out = []
    for centre in (total // 6, total // 2, total * 5 // 6):
        at = 0
        for p, g in voiced:
            if at + p.size > centre:
                pcm = stage.read(p)
                mid = centre - at
                a = max(0, min(len(pcm) - n, mid - n // 2))
                a -= a % frame
                out.append(apply_gain(pcm[a : a + n], g))
                break
            at += p.size
    return b"".join(out)


def measure_chain(pcm: bytes, rate: int, channels: int, master: Master | None) -> Loudness:
    """Loudness and true peak of raw PCM after the master's gain and limiter (None: as it is)."""
    graph = MEASURE if master is None else f"{master_filter(master)},{MEASURE}"
    fmt = ["-f", "s16le", "-ar", str(rate), "-ac", str(channels)]
    return run_ffmpeg_measured([*fmt, "-i", "pipe:0", "-af", graph, "-f", "null", "-"], pcm)[1]


def calibrate(excerpt: bytes, rate: int, channels: int, master: Master, cfg: AudioConfig) -> tuple[Master, float]:
    """Return the corrected master and the slope (dB of gain per LU gained) seen on the way."""
    linear = measure_chain(excerpt, rate, channels, None).integrated
    if not math.isfinite(linear):
        return master, 1.0
    want = linear + master.gain_db  # what the gain alone gives on the excerpt: the target there
    ceiling = cfg.true_peak - PEAK_MARGIN_DB
    tried: list[tuple[float, float]] = []  # (gain, loudness after the chain) at the current limit
    for _ in range(TRIES):
        got = measure_chain(excerpt, rate, channels, master)
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
    slope = 1.0
    if len(tried) >= 2 and abs(tried[-1][1] - tried[-2][1]) > 0.05:
        slope = min(4.0, max(1.0, (tried[-1][0] - tried[-2][0]) / (tried[-1][1] - tried[-2][1])))
    return master, slope


def encode_to_spec(source: Feed, rate: int, channels: int, master: Master, slope: float, mp3, cfg: AudioConfig) -> tuple[Master, Loudness, int]:
    """Encode (measuring the MP3 on the way); encode once more with a corrected gain if it misses."""
    measured = encode_master(source, rate, channels, master, mp3, cfg.bitrate)
    fix = correct(master, measured, cfg.loudness, cfg.true_peak, slope)
    if fix is None:
        return master, measured, 1
    return fix, encode_master(source, rate, channels, fix, mp3, cfg.bitrate), 2
