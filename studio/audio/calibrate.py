"""What a limiter costs in loudness, measured before encoding.

The gains predicted from the clips' measurements are right as long as nothing non-linear
follows. A limiter is where prediction is known to miss (the harder it is driven, the more
loudness it takes), so when the first limited piece of an episode is encoded, `calibrate` runs
its gain + limiter chain on the middle of that piece at a few gains (one ffmpeg run, no
encoding) and finds the gain that gives the loudness the gain alone would have: the limiter's
cost, which the piece encoder then adds to every limited piece.
"""

from __future__ import annotations

import math
from pathlib import Path

from studio.audio.encode import master_filter
from studio.audio.ffmpeg import MEASURE, MEASURE_FAST, Loudness, run_ffmpeg_stderr, summaries
from studio.audio.loudness import Master
from studio.core.config import AudioConfig

EXCERPT_S = 40.0  # sound the limiter is calibrated on (the whole piece when shorter)
CALIBRATION_TRIES = 4
PEAK_MARGIN_DB = 0.5  # keep the excerpt's true peak this far under the ceiling (the codec adds some)
INTERSAMPLE_DB = 0.4  # what true peaks add to a limited signal's sample peaks (calibration measures sample peaks)


def middle_of(raw: Path, frame: int, rate: int, out: Path, seconds: float = EXCERPT_S) -> Path:
    """The middle `seconds` of a raw PCM file (all of it when shorter), written to `out`."""
    size = raw.stat().st_size
    want = int(seconds * rate) * frame
    start = max(0, (size - want) // 2 // frame * frame)
    with open(raw, "rb") as src, open(out, "wb") as dst:
        src.seek(start)
        dst.write(src.read(want))
    return out


STEPS_DB = (-1.0, 0.0, 1.0, 2.0, 3.5)  # gains tried at once, around the predicted one


def measure_chains(pcm: Path, rate: int, channels: int, masters: list[Master | None], meter: str = MEASURE) -> list[Loudness]:
    """Loudness and peak (`meter`: true peak, or MEASURE_FAST's sample peak) of a raw PCM file after each
    master's gain and limiter (None: as it is), for several masters in one ffmpeg run (asplit: one start-up, one read)."""
    fmt = ["-f", "s16le", "-ar", str(rate), "-ac", str(channels)]
    n = len(masters)
    graph = [f"[0:a]asplit={n}" + "".join(f"[s{i}]" for i in range(n))] if n > 1 else []
    for i, m in enumerate(masters):  # the first branch goes to the null output, the others end in sinks
        src = f"[s{i}]" if n > 1 else "[0:a]"
        chain = meter if m is None else f"{master_filter(m)},{meter}"
        graph.append(f"{src}{chain}" + ("[out]" if i == 0 else ",anullsink"))
    args = [*fmt, "-i", str(pcm), "-filter_complex", ";".join(graph), "-map", "[out]", "-f", "null", "-"]
    err = run_ffmpeg_stderr(args)
    return summaries(err, n)


def calibrate(excerpt: Path, rate: int, channels: int, master: Master, cfg: AudioConfig) -> tuple[Master, float]:
    """Return the corrected master and the slope (dB of gain per LU gained) seen on the way.

    One ffmpeg run measures the excerpt as it is and through the limiter at a few gains around
    the predicted one; the gain that meets the target is interpolated between them. Another
    run follows only when that gain lies outside the gains tried (heavy limiting) or the
    limiter's output still peaks over the ceiling (its ceiling is lowered). Sample peaks are
    measured (4x oversampling for true peaks would double the run's cost), with INTERSAMPLE_DB of
    allowance; the true peak is measured on the encoded MP3.
    """
    ceiling = cfg.true_peak - PEAK_MARGIN_DB - INTERSAMPLE_DB
    start, want = master.gain_db, None
    slope = 1.0
    for _ in range(CALIBRATION_TRIES):
        gains = [master.gain_db + step for step in STEPS_DB]
        chains = [None] + [Master(g, master.limit_db) for g in gains]
        linear, *tried = measure_chains(excerpt, rate, channels, chains, MEASURE_FAST)
        if want is None:
            if not math.isfinite(linear.integrated):
                return master, 1.0
            want = linear.integrated + start  # what the predicted gain alone gives on the excerpt
        gain, slope = _solve([(g, got.integrated) for g, got in zip(gains, tried)], want)
        gain = min(gain, start + 12)
        peak = max(got.true_peak for g, got in zip(gains, tried) if g <= gain + 1.0)
        if peak > ceiling and master.limit_db is not None:
            master = Master(gain, master.limit_db - (peak - ceiling) - 0.1)  # lower the ceiling, again
            continue
        master = Master(gain, master.limit_db)
        if gains[0] <= gain <= gains[-1]:
            break
    return master, slope


def _solve(points: list[tuple[float, float]], want: float) -> tuple[float, float]:
    """The gain whose loudness is `want`, interpolated (or extrapolated from the last two)."""
    for (g0, l0), (g1, l1) in zip(points, points[1:]):
        if l0 <= want <= l1 or (g1, l1) == points[-1]:
            slope = (g1 - g0) / (l1 - l0) if l1 - l0 > 0.01 else 4.0
            slope = min(4.0, max(1.0, slope))
            return g0 + (want - l0) * slope, slope
    return points[0][0], 1.0
