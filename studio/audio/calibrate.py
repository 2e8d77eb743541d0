"""Hit the loudness target on the encoded file with one encode in the common case.

The master gain predicted from the parts' measurements (studio.audio.loudness.plan_master) is
right for the mix as long as nothing non-linear follows: then the episode is encoded once and
the MP3 measured on the way. A limiter is where prediction is known to miss (the louder it is
driven, the more loudness it takes), so only then `calibrate` runs the gain + limiter chain on
a minute of speech (and the jingles' share) from all over the staged clips (no encoding, no mix file)
and corrects the gain and the limiter's ceiling (one ffmpeg run in the common case). `encode_to_spec` encodes,
and encodes once more only if the MP3 still misses the target.
"""

from __future__ import annotations

import math
from pathlib import Path

from studio.audio.encode import Feed, encode_master, master_filter
from studio.audio.ffmpeg import MEASURE, MEASURE_FAST, Loudness, run_ffmpeg_stderr, summaries
from studio.audio.loudness import LIMIT_BELOW_CEILING_DB, Master, correct
from studio.audio.mix import Part, Stage, apply_gain
from studio.config import AudioConfig

EXCERPT_S = 60.0  # speech the limiter is calibrated on (the whole speech when shorter)
MIN_WINDOW_S = 2.0  # shortest window taken from one clip
TRIES = 4
PEAK_MARGIN_DB = 0.5  # keep the excerpt's true peak this far under the ceiling (the codec adds some)
INTERSAMPLE_DB = 0.4  # what true peaks add to a limited signal's sample peaks (calibration measures sample peaks)


def excerpt_of(stage: Stage, parts: list[Part], gains: list[float], music: list[Part], music_db: float, out: Path) -> Path:
    """Write to `out` what the limiter will see, in proportion: the levelled speech and the
    jingles when short, else a window from the middle of many clips (evenly spread over the
    episode, at least 2 s each, EXCERPT_S in all) and the same share of every jingle."""
    voiced = [(p, g) for p, g in zip(parts, gains) if not p.silent]
    voiced += [(j, music_db) for j in music if not j.silent]
    frame, rate = stage.frame, stage.rate
    total = sum(p.size for p, _ in voiced)
    budget = int(EXCERPT_S * rate) * frame
    with open(out, "wb") as f:
        if total <= budget:
            for p, g in voiced:
                f.write(apply_gain(stage.read(p), g))
            return out
        speech = voiced[: len(voiced) - len(music)]
        for j in music:  # the jingles' share of the mix
            size = j.size * budget // total // frame * frame
            f.write(apply_gain(stage.read(j)[:size], music_db))
        budget -= sum(j.size * budget // total // frame * frame for j in music)
        count = max(1, min(len(speech), int(EXCERPT_S // MIN_WINDOW_S)))
        window = budget // count // frame * frame
        for k in range(count):
            part, gain = speech[round(k * (len(speech) - 1) / max(1, count - 1))]
            a = max(0, (part.size - window) // 2 // frame * frame)
            f.write(apply_gain(stage.read(part)[a : a + window], gain))
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
    for _ in range(TRIES):
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


def encode_to_spec(source: Feed, rate: int, channels: int, master: Master, slope: float, mp3, cfg: AudioConfig) -> tuple[Master, Loudness, int]:
    """Encode (measuring the MP3 on the way); encode once more with a corrected gain if it misses."""
    measured = encode_master(source, rate, channels, master, mp3, cfg.bitrate)
    fix = correct(master, measured, cfg.loudness, cfg.true_peak, slope)
    if fix is None:
        return master, measured, 1
    return fix, encode_master(source, rate, channels, fix, mp3, cfg.bitrate), 2
