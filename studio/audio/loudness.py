"""Loudness maths: combining levels, the jingles' level, headroom and limiter thresholds, corrections.

Every part was measured (EBU R128 integrated loudness, sample peak) while it was decoded, so
levels are predicted from the parts (studio.audio.pieces) without another pass over the mix;
each encoded piece is then measured for real and corrected if it misses (`correct`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from studio.audio.ffmpeg import Loudness
from studio.audio.mix import Part, db_to_factor

PEAK_HEADROOM_DB = -1.0  # levelling never pushes a part's sample peak above this (s16 mix)
CODEC_MARGIN_DB = 1.0  # MP3 encoding can raise true peaks: limit when a peak comes this close
LIMIT_BELOW_CEILING_DB = 1.0  # the (sample-peak) limiter sits this far under the true-peak ceiling
TOLERANCE_LU = 0.5  # re-encode when the measured MP3 misses the target by more than this


def codec_loss_lu(bitrate_kbps: int, channels: int) -> float:
    """Loudness LAME's CBR encoding takes away (measured on speech, music, noise and sines:
    0.4-0.5 LU up to 160 kbps a channel, 0.2 at 192, none from 256): the mix aims this much higher."""
    per_channel = bitrate_kbps / channels
    return 0.45 if per_channel <= 160 else 0.2 if per_channel < 256 else 0.0


def power_mean(levels: list[tuple[float, float]]) -> float:
    """Combine (loudness LUFS, duration) pairs the way gated integration roughly does."""
    total = sum(w for _, w in levels)
    if not total:
        return -math.inf
    return 10 * math.log10(sum(w * 10 ** (lufs / 10) for lufs, w in levels) / total)


def capped(gain_db: float, part: Part) -> float:
    """Gain limited so the part's samples do not clip in the 16-bit mix."""
    return min(gain_db, PEAK_HEADROOM_DB - part.peak_db)


def music_gain(jingles: list[Part], speech_lufs: float, music_level: float) -> float:
    """One gain for all jingles: the loudest sits `music_level` LU from the speech."""
    loud = [j for j in jingles if not j.silent]
    if not loud or not math.isfinite(speech_lufs):
        return 0.0
    top = max(loud, key=lambda j: j.loudness.integrated)
    gain = speech_lufs + music_level - top.loudness.integrated
    return min(capped(gain, j) for j in loud) if gain > 0 else gain


def db_to_limit(db: float) -> float:
    """alimiter's `limit` (linear, 0.0625..1) for a ceiling in dBFS."""
    return min(1.0, max(0.0625, db_to_factor(db)))


@dataclass
class Master:
    """What the encoder applies to the mix."""

    gain_db: float
    limit_db: float | None  # sample-peak ceiling of the limiter, None = no limiter


def correct(master: Master, measured: Loudness, target_lufs: float, ceiling: float, slope: float = 1.0,
            tolerance: float = TOLERANCE_LU) -> Master | None:
    """A second try when the encoded file misses the target; None when it is within spec.

    `slope` is how many dB of gain buy one LU (the calibration's estimate; above 1 when limiting).
    """
    off = target_lufs - measured.integrated
    over = measured.true_peak - ceiling
    if abs(off) <= tolerance and over <= 0:
        return None
    limit = master.limit_db
    if over > 0 or (limit is None and measured.true_peak + off > ceiling - CODEC_MARGIN_DB / 2):
        base = limit if limit is not None else ceiling - LIMIT_BELOW_CEILING_DB
        limit = base - max(0.0, over) - (0.2 if over > 0 else 0.0)
    return Master(master.gain_db + off * slope, limit)
