"""The bundled ffmpeg binary (imageio-ffmpeg): no system ffmpeg, no ffprobe."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from studio.errors import AudioError


@functools.cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


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
