"""The bundled ffmpeg binary (imageio-ffmpeg): no system ffmpeg, no ffprobe."""

from __future__ import annotations

import functools
import math
import re
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from studio.core.errors import AudioError
from studio.core.lazy import lazy_pattern

with warnings.catch_warnings():  # stdlib up to 3.12 (deprecated there), audioop-lts from 3.13
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


@functools.cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg  # lazy: imageio-ffmpeg is only asked where its binary is when audio work starts

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def loopback_decoders() -> bool:
    """Whether the ffmpeg can decode its own encoder's output (`-dec`, from ffmpeg 7; a git build counts as new)."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True).stdout.decode("utf-8", "replace")
    m = re.match(r"ffmpeg version n?(\d+)\.", out)
    return m is None or int(m.group(1)) >= 7


def run_ffmpeg(args: list[str], input_bytes: bytes | None = None) -> bytes:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    proc = subprocess.run(cmd, input=input_bytes, capture_output=True)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AudioError(f"ffmpeg failed: {err[-1] if err else 'exit ' + str(proc.returncode)}")
    return proc.stdout


def decode_pcm(source: Path | bytes, rate: int, channels: int) -> bytes:
    """Decode any audio file (or bytes) to signed 16-bit little-endian PCM."""
    if isinstance(source, (bytes, bytearray)):
        return run_ffmpeg(["-i", "pipe:0", "-f", "s16le", "-ac", str(channels), "-ar", str(rate), "pipe:1"], bytes(source))
    if not Path(source).is_file():
        raise AudioError("audio file not found", source)
    return run_ffmpeg(["-i", str(source), "-f", "s16le", "-ac", str(channels), "-ar", str(rate), "pipe:1"])


def decoded_duration_ms(path: Path, rate: int = 44100) -> float:
    """Duration by decoding the whole file (what a player would play)."""
    pcm = decode_pcm(path, rate, 1)
    return len(pcm) / 2 / rate * 1000


@dataclass
class Loudness:
    """An EBU R128 / ITU-R BS.1770 measurement by ffmpeg's ebur128 filter."""

    integrated: float  # LUFS
    true_peak: float  # dBTP (dBFS of the 4x oversampled signal)
    lra: float = 0.0  # loudness range, LU


_SUMMARY = {
    "integrated": lazy_pattern(r"\bI:\s+(-?(?:inf|[\d.]+)) LUFS"),
    "lra": lazy_pattern(r"\bLRA:\s+(-?(?:inf|[\d.]+)) LU\b"),
    "true_peak": lazy_pattern(r"(?:True|Sample) peak:\s+Peak:\s+(-?(?:inf|[\d.]+)) dBFS"),
}


def parse_ebur128(stderr: str, peak: bool = True) -> Loudness:
    """Read the summary ebur128 prints when it closes (-inf for digital silence); without
    `peak` (measured with no peak mode) its true peak is left at -inf."""
    summary = stderr[stderr.rfind("Summary:"):]
    values = {"true_peak": -math.inf}
    for key, pattern in _SUMMARY.items():
        if key == "true_peak" and not peak:
            continue
        m = pattern.search(summary)
        if not m:
            raise AudioError(f"ffmpeg printed no loudness summary ({key})")
        values[key] = float(m.group(1))
    return Loudness(**values)


MEASURE = "ebur128=peak=true:framelog=quiet"
MEASURE_FAST = "ebur128=peak=sample:framelog=quiet"  # sample peak: no 4x oversampling
MEASURE_LOUDNESS = "ebur128=framelog=quiet"  # no peak


def run_ffmpeg_stderr(args: list[str], input_bytes: bytes | None = None, stdout: list[bytes] | None = None) -> str:
    """Run ffmpeg at log level info; return its stderr (stdout appended to `stdout`)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", *args]
    proc = subprocess.run(cmd, input=input_bytes, capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = [ln for ln in err.strip().splitlines() if "error" in ln.lower()] or err.strip().splitlines()
        raise AudioError(f"ffmpeg failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}")
    if stdout is not None:
        stdout.append(proc.stdout)
    return err


def summaries(stderr: str, count: int) -> list[Loudness]:
    """The summaries of `count` ebur128 filters of one graph, in graph order."""
    blocks = re.split(r"\[Parsed_ebur128_(\d+) @ [^\]]*\] Summary:", stderr)
    found = sorted((int(blocks[k]), "Summary:" + blocks[k + 1]) for k in range(1, len(blocks) - 1, 2))
    if len(found) != count:
        raise AudioError(f"ffmpeg printed {len(found)} loudness summaries for {count} measurements")
    return [parse_ebur128(text) for _, text in found]


def decode_measured(source: Path | bytes, rate: int, channels: int) -> tuple[bytes, Loudness]:
    """Decode to s16le PCM at `rate`/`channels` and measure its loudness on the way (one ffmpeg run).

    The peak is the sample peak of the PCM (cheap): it only decides whether limiting is likely;
    the true peak is measured on the real chain later (calibration, the encoded file). The
    decoded frames are gathered into 1 s ones before they leave the filters (fewer hand-overs
    between ffmpeg's threads: a third less CPU for a 30 s clip).
    """
    layout = "mono" if channels == 1 else "stereo"
    graph = f"aresample={rate},aformat=channel_layouts={layout},{MEASURE_LOUDNESS},asetnsamples=n={rate}:p=0"
    is_bytes = isinstance(source, (bytes, bytearray))
    if not is_bytes and not Path(source).is_file():
        raise AudioError("audio file not found", source)
    with tempfile.TemporaryDirectory(prefix="studio-pcm-") as tmp:  # read back once: no pipe buffers
        raw = Path(tmp) / "pcm.raw"
        out = ["-af", graph, "-f", "s16le", "-ac", str(channels), "-ar", str(rate), "-y", str(raw)]
        err = run_ffmpeg_stderr(["-i", "pipe:0" if is_bytes else str(source), *out], bytes(source) if is_bytes else None)
        pcm = raw.read_bytes()
    pcm = pcm[: len(pcm) - len(pcm) % (2 * channels)]
    loudness = parse_ebur128(err, peak=False)
    loudness.true_peak = sample_peak_db(pcm)
    return pcm, loudness


def sample_peak_db(pcm: bytes) -> float:
    """The highest sample of s16 PCM, dBFS (-inf for silence)."""
    peak = audioop.max(pcm, 2) if pcm else 0
    return 20 * math.log10(peak / 32768) if peak else -math.inf


def measure_file(path: Path) -> Loudness:
    """Integrated loudness and true peak of an audio file, as a player would decode it."""
    return parse_ebur128(run_ffmpeg_stderr(["-i", str(path), "-af", MEASURE, "-f", "null", "-"]))
