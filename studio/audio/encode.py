"""Encode the mastered episode (CBR MP3) and cut the per-item clips out of it without re-encoding."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from studio.audio.blocks import Blocks, parse_blocks
from studio.audio.ffmpeg import ffmpeg_exe, loopback_decoders
from studio.audio.loudness import Master, db_to_limit
from studio.audio.mp3 import ENCODER_DELAY, mp3_frames
from studio.core.errors import AudioError


def master_filter(master: Master) -> str:
    graph = f"aformat=sample_fmts=flt,volume={master.gain_db:.3f}dB"
    if master.limit_db is not None:
        # lookahead limiter; latency=1 keeps it sample-aligned, level=0 disables its auto-gain
        graph += f",alimiter=limit={db_to_limit(master.limit_db):.5f}:attack=5:release=50:level=0:latency=1"
    return graph


METER = "ebur128=peak=true:framelog=info"  # a line per 100 ms: the blocks
Feed = Callable[[BinaryIO], None]  # writes the raw PCM into the encoder's stdin


def encode_master(source: Path | Feed, rate: int, channels: int, master: Master, out: Path, bitrate_kbps: int) -> Blocks:
    """Raw s16le PCM (a file, or written by `source` into a pipe as it is mixed) -> gain
    (+ limiter) -> CBR MP3 with a Xing/LAME header (exact length).

    The same ffmpeg decodes the encoder's packets as they are written (a loopback decoder,
    `-dec`) and measures them: the loudness blocks (studio.audio.blocks) and true peak of the
    MP3 a player decodes, with no second process and no copy of the MP3 through a pipe. An
    ffmpeg older than 7 has no loopback decoders: a second one measures a copy (tee muxer).
    """
    feed = None if isinstance(source, (str, Path)) else source
    head = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"]
    encoder = [
        *head, "-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0" if feed else str(source),
        "-map", "0:a", "-af", master_filter(master),
        "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-ar", str(rate), "-ac", str(channels), "-map_metadata", "-1",
    ]
    if loopback_decoders():
        cmds = [[*encoder, "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", "-y", "file:" + str(Path(out).resolve()),
                 "-dec", "0:0", "-filter_complex", f"[dec:0]{METER}[m]", "-map", "[m]", "-f", "null", "-"]]
    else:
        tee = f"[f=mp3:id3v2_version=0:write_xing=1]{_tee_escape(out)}|[f=mp3:id3v2_version=0:write_xing=0]pipe:1"
        cmds = [[*encoder, "-f", "tee", tee], [*head, "-f", "mp3", "-i", "pipe:0", "-af", METER, "-f", "null", "-"]]
    codes, texts = _run(cmds, feed)
    for code, text, what in zip(codes, texts, ("MP3 encoder", "loudness meter")):
        if code != 0:
            lines = [ln for ln in text.strip().splitlines() if "rror" in ln] or text.strip().splitlines()
            raise AudioError(f"ffmpeg ({what}) failed: {lines[-1] if lines else code}")
    return parse_blocks(texts[-1])


def _run(cmds: list[list[str]], feed: Feed | None) -> tuple[list[int], list[str]]:
    """Run a chain of processes (each one's stdout the next one's stdin), `feed` writing into the first."""
    with contextlib.ExitStack() as stack:
        errs = [stack.enter_context(tempfile.TemporaryFile()) for _ in cmds]
        procs: list[subprocess.Popen] = []
        for n, (cmd, err) in enumerate(zip(cmds, errs)):
            stdin = procs[-1].stdout if procs else subprocess.PIPE if feed else subprocess.DEVNULL
            last = n == len(cmds) - 1
            procs.append(subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL if last else subprocess.PIPE,
                                          stderr=err))
            if n:
                procs[-2].stdout.close()  # the next one reads it
        try:
            if feed:
                try:
                    feed(procs[0].stdin)
                except BrokenPipeError:
                    pass  # the encoder stopped: its error is reported
                finally:
                    _close(procs[0].stdin)
        except BaseException:
            for proc in procs:
                proc.kill()
            raise
        finally:
            for proc in procs:
                proc.wait()
        texts = []
        for err in errs:
            err.seek(0)
            texts.append(err.read().decode("utf-8", "replace"))
    return [proc.returncode for proc in procs], texts


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
