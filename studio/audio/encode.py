"""Encode the mastered episode (CBR MP3) and cut the per-item clips out of it without re-encoding."""

from __future__ import annotations

import subprocess
from pathlib import Path

from studio.audio.ffmpeg import MEASURE, Loudness, ffmpeg_exe, parse_ebur128, run_ffmpeg
from studio.audio.loudness import Master, db_to_limit
from studio.errors import AudioError


def master_filter(master: Master) -> str:
    graph = f"aformat=sample_fmts=flt,volume={master.gain_db:.3f}dB"
    if master.limit_db is not None:
        # lookahead limiter; latency=1 keeps it sample-aligned, level=0 disables its auto-gain
        graph += f",alimiter=limit={db_to_limit(master.limit_db):.5f}:attack=5:release=50:level=0:latency=1"
    return graph


def encode_master(raw: Path, rate: int, channels: int, master: Master, out: Path | None, bitrate_kbps: int) -> Loudness:
    """Raw s16le PCM -> gain (+ limiter) -> CBR MP3 with a Xing/LAME header (exact length).

    The encoder's packets also go (tee muxer) to a second ffmpeg that decodes and measures
    them while the file is written: the loudness of the MP3 a player decodes, at no extra wall
    time. With `out` None the MP3 is only measured (calibration).
    """
    if out is None:
        target = ["-f", "mp3", "-id3v2_version", "0", "-write_xing", "0", "pipe:1"]
    else:
        target = ["-f", "tee", f"[f=mp3:id3v2_version=0:write_xing=1]{_tee_escape(out)}"
                  "|[f=mp3:id3v2_version=0:write_xing=0]pipe:1"]
    encoder = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", str(raw),
        "-map", "0:a", "-af", master_filter(master),
        "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-ar", str(rate), "-ac", str(channels),
        "-map_metadata", "-1", *target,
    ]
    meter = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
             "-f", "mp3", "-i", "pipe:0", "-af", MEASURE, "-f", "null", "-"]
    enc = subprocess.Popen(encoder, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        meter_proc = subprocess.run(meter, stdin=enc.stdout, capture_output=True)
    finally:
        enc.stdout.close()
        enc_err = enc.stderr.read().decode("utf-8", "replace").strip()
        enc.stderr.close()
        enc.wait()
    if enc.returncode != 0:
        raise AudioError(f"ffmpeg (MP3 encoder) failed: {enc_err.splitlines()[-1] if enc_err else enc.returncode}")
    if meter_proc.returncode != 0:
        raise AudioError("ffmpeg (loudness meter) failed on the encoded MP3")
    return parse_ebur128(meter_proc.stderr.decode("utf-8", "replace"))


def _tee_escape(path: Path) -> str:
    """A file name inside the tee muxer's [options]target|... syntax."""
    text = str(path)
    for ch in "\\|[]:":
        text = text.replace(ch, "\\" + ch)
    return text


def cut_clips(episode_mp3: Path, windows: list[tuple[float, float]], outs: list[Path]) -> None:
    """Copy [start, end) seconds of the episode's MP3 frames into each clip file, in one ffmpeg run.

    No re-encoding: clips sound exactly like the episode and cost almost nothing. Cuts fall on
    MP3 frames (26 ms) inside the silence around each item.
    """
    if not outs:
        return
    args = ["-i", str(episode_mp3)]
    for (start, end), out in zip(windows, outs):
        args += [
            "-map", "0:a", "-c", "copy", "-ss", f"{start:.3f}", "-to", f"{end:.3f}",
            "-map_metadata", "-1", "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", "-y", str(out),
        ]
    run_ffmpeg(args)
