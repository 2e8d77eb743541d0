"""The host's recording (studio.recording.source names it): its analysis, its cleaned-up decode.

It is decoded by the bundled ffmpeg, and may be at most `[limits] recording_minutes` long.
The cleaned-up decode, at the episode's sample rate and
channels, goes through a high-pass filter at HIGH_PASS_HZ (rumble, handling noise) and,
when the room is audibly noisy (a noise floor over NOISY_DB between phrases), through
ffmpeg's FFT denoiser at a gentle NOISE_REDUCTION_DB. Neither removes any time.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

from studio.audio.ffmpeg import ffmpeg_exe
from studio.core.errors import AudioError
from studio.recording.features import FFT_WINDOW, FRAME_S, HOP, RATE, Features, analyse, join_features, voiced

HIGH_PASS_HZ = 70
NOISY_DB = -66.0  # noise floor (dBFS, between phrases, as analysed) over which the denoiser runs
NOISE_REDUCTION_DB = 10
BLOCK_S = 60.0


def _ffmpeg(path: Path, args: list[str]) -> subprocess.Popen:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen, path: Path) -> None:
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
    proc.stderr.close()
    if proc.wait() != 0:
        raise AudioError(f"cannot decode the recording: {err[-1] if err else 'ffmpeg failed'}", path)


def analyse_recording(path: Path, max_minutes: int) -> Features:
    """Features of the whole recording, decoded and analysed a block at a time (frames continue across blocks)."""
    proc = _ffmpeg(path, ["-f", "s16le", "-ac", "1", "-ar", str(RATE), "pipe:1"])
    parts: list[Features] = []
    carry = np.zeros(0, np.float32)
    seen, limit = 0, max_minutes * 60 * RATE
    try:
        while data := proc.stdout.read(int(BLOCK_S * RATE) * 2):
            seen += len(data) // 2
            if seen > limit:
                raise AudioError(f"the recording is longer than {max_minutes} minutes "
                                 "(limits.recording_minutes in show.toml)", path)
            buf = np.concatenate([carry, np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.float32) / 32768])
            usable = (len(buf) - FFT_WINDOW) // HOP + 1 if len(buf) >= FFT_WINDOW else 0
            if usable > 0:
                parts.append(analyse(buf[: (usable - 1) * HOP + FFT_WINDOW]))
                carry = buf[usable * HOP :]
            else:
                carry = buf
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    _finish(proc, path)
    if len(carry):
        parts.append(analyse(carry))
    if not parts or not voiced(join_features(parts).level_db).any():
        raise AudioError("the recording holds no sound", path)
    return join_features(parts)


def noise_floor_db(features: Features) -> float:
    """The level between phrases (the median of the quiet frames), dBFS."""
    quiet = features.level_db[~voiced(features.level_db)]
    return float(np.median(quiet)) if len(quiet) else float(np.percentile(features.level_db, 5))


def cleanup_filters(floor_db: float) -> list[str]:
    filters = [f"highpass=f={HIGH_PASS_HZ}"]
    if floor_db > NOISY_DB:
        filters.append(f"afftdn=nr={NOISE_REDUCTION_DB}:nf={max(-80.0, min(-20.0, floor_db)):.1f}")
    return filters


def decode_cleaned(path: Path, out: Path, rate: int, channels: int, filters: list[str]) -> int:
    """The recording as s16le PCM at `rate`/`channels` in `out`, through `filters`; returns its frames."""
    proc = _ffmpeg(path, ["-af", ",".join(filters), "-f", "s16le", "-ac", str(channels), "-ar", str(rate), "pipe:1"])
    size = 0
    with open(out, "wb") as f:
        while data := proc.stdout.read(1 << 20):
            f.write(data)
            size += len(data)
    _finish(proc, path)
    return size // (2 * channels)


def voiced_runs(features: Features) -> list[list[int]]:
    """[start, end) frame runs of sound, for the cache (the recording itself is not needed to cut it)."""
    mask = voiced(features.level_db).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask, [0]])))
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]


def mask_of(runs: list[list[int]], frames: int) -> np.ndarray:
    mask = np.zeros(frames, bool)
    for a, b in runs:
        mask[a:b] = True
    return mask


def seconds(frames: int) -> float:
    return frames * FRAME_S
