"""Encode the mastered episode (CBR MP3) and cut the per-item clips out of it without re-encoding."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from studio.audio.blocks import Blocks, parse_blocks
from studio.audio.ffmpeg import ffmpeg_exe
from studio.audio.loudness import Master, db_to_limit
from studio.audio.mp3 import ENCODER_DELAY, mp3_frames
from studio.core.errors import AudioError


def master_filter(master: Master) -> str:
    graph = f"aformat=sample_fmts=flt,volume={master.gain_db:.3f}dB"
    if master.limit_db is not None:
        # lookahead limiter; latency=1 keeps it sample-aligned, level=0 disables its auto-gain
        graph += f",alimiter=limit={db_to_limit(master.limit_db):.5f}:attack=5:release=50:level=0:latency=1"
    return graph


METER = "ebur128=peak=true:framelog=verbose"  # a line per 100 ms: the blocks
Feed = Callable[[BinaryIO], None]  # writes the raw PCM into the encoder's stdin


def encode_master(source: Path | Feed, rate: int, channels: int, master: Master, out: Path, bitrate_kbps: int) -> Blocks:
    """Raw s16le PCM (a file, or written by `source` into a pipe as it is mixed) -> gain
    (+ limiter) -> CBR MP3 with a Xing/LAME header (exact length).

    The encoder's packets also go (tee muxer) to a second ffmpeg that decodes and measures
    them while the file is written: the loudness blocks (studio.audio.blocks) of the MP3 a
    player decodes, at no extra wall time.
    """
    feed = None if isinstance(source, (str, Path)) else source
    target = ["-f", "tee", f"[f=mp3:id3v2_version=0:write_xing=1]{_tee_escape(out)}"
              "|[f=mp3:id3v2_version=0:write_xing=0]pipe:1"]
    encoder = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0" if feed else str(source),
        "-map", "0:a", "-af", master_filter(master),
        "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-ar", str(rate), "-ac", str(channels),
        "-map_metadata", "-1", *target,
    ]
    meter = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "verbose",
             "-f", "mp3", "-i", "pipe:0", "-af", METER, "-f", "null", "-"]
    with tempfile.TemporaryFile() as enc_err, tempfile.TemporaryFile() as meter_err:
        enc = subprocess.Popen(encoder, stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=enc_err)
        meter_proc = subprocess.Popen(meter, stdin=enc.stdout, stdout=subprocess.DEVNULL, stderr=meter_err)
        enc.stdout.close()  # the meter reads it
        try:
            if feed:
                try:
                    feed(enc.stdin)
                except BrokenPipeError:
                    pass  # the encoder stopped: its error is reported below
                finally:
                    _close(enc.stdin)
        except BaseException:
            enc.kill(), meter_proc.kill()
            raise
        finally:
            enc.wait(), meter_proc.wait()
        enc_err.seek(0), meter_err.seek(0)
        enc_text = enc_err.read().decode("utf-8", "replace").strip()
        meter_text = meter_err.read().decode("utf-8", "replace")
    if enc.returncode != 0:
        raise AudioError(f"ffmpeg (MP3 encoder) failed: {enc_text.splitlines()[-1] if enc_text else enc.returncode}")
    if meter_proc.returncode != 0:
        raise AudioError("ffmpeg (loudness meter) failed on the encoded MP3")
    return parse_blocks(meter_text)


def _close(pipe: BinaryIO) -> None:
    try:
        pipe.close()
    except BrokenPipeError:
        pass


def _tee_escape(path: Path) -> str:
    """A file name inside the tee muxer's [options]target|... syntax."""
    text = str(Path(path).resolve())  # absolute: "a:b" would read as a protocol
    for ch in "\\|[]:'":
        text = text.replace(ch, "\\" + ch)
    return text


def cut_clips(episode_mp3: Path, windows: list[tuple[float, float]], outs: list[Path]) -> None:
    """Copy the MP3 frames of [start, end) seconds of the episode into each clip file.

    No re-encoding: clips sound exactly like the episode and cost almost nothing. Cuts fall on
    frame boundaries (26 ms), inside the silence kept around each item.
    """
    offsets, per_frame, rate = mp3_frames(episode_mp3)
    count = len(offsets) - 1
    if count <= 0:
        raise AudioError("the encoded episode has no MP3 frames", episode_mp3)

    def frame_at(seconds: float) -> int:
        return min(count, max(0, int((seconds * rate + ENCODER_DELAY) // per_frame)))

    with open(episode_mp3, "rb") as f:
        for (start, end), out in zip(windows, outs):
            a = frame_at(start)
            b = min(count, max(a + 1, frame_at(end) + 1))
            f.seek(offsets[a])
            out.write_bytes(f.read(offsets[b] - offsets[a]))
