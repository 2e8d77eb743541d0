"""Stitch clips into one episode: clips -> one PCM buffer -> MP3.

Built once from the clips' samples (no repeated AudioSegment + in a loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import warnings

from studio.audio.ffmpeg import ffmpeg_exe, run_ffmpeg

with warnings.catch_warnings():  # pydub looks for a system ffmpeg at import; we bring our own
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

AudioSegment.converter = ffmpeg_exe()


@dataclass
class Placement:
    start_ms: float
    end_ms: float


def to_segment(pcm: bytes, rate: int, channels: int) -> AudioSegment:
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=channels)


def stitch(clips_pcm: list[bytes], rate: int, channels: int, gap_s: float) -> tuple[AudioSegment, list[Placement]]:
    """Lay clips end to end with `gap_s` of silence between them."""
    frame = 2 * channels
    gap = bytes(int(round(gap_s * rate)) * frame)
    parts: list[bytes] = []
    placements: list[Placement] = []
    pos = 0
    for i, pcm in enumerate(clips_pcm):
        pcm = pcm[: len(pcm) - len(pcm) % frame]
        if i:
            parts.append(gap)
            pos += len(gap)
        start = pos
        parts.append(pcm)
        pos += len(pcm)
        placements.append(Placement(start / frame / rate * 1000, pos / frame / rate * 1000))
    return to_segment(b"".join(parts), rate, channels), placements


def encode_mp3(segment: AudioSegment, out: Path, bitrate_kbps: int) -> None:
    """CBR MP3 with a Xing/LAME header so players know the exact length."""
    run_ffmpeg(
        [
            "-f", "s16le", "-ar", str(segment.frame_rate), "-ac", str(segment.channels), "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-f", "mp3", "-y", str(out),
        ],
        segment.raw_data,
    )
