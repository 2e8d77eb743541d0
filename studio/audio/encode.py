"""Encode the mastered episode (CBR MP3) and cut the per-item clips out of it without re-encoding."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from studio.audio.ffmpeg import MEASURE, Loudness, ffmpeg_exe, parse_ebur128
from studio.audio.loudness import Master, db_to_limit
from studio.errors import AudioError


def master_filter(master: Master) -> str:
    graph = f"aformat=sample_fmts=flt,volume={master.gain_db:.3f}dB"
    if master.limit_db is not None:
        # lookahead limiter; latency=1 keeps it sample-aligned, level=0 disables its auto-gain
        graph += f",alimiter=limit={db_to_limit(master.limit_db):.5f}:attack=5:release=50:level=0:latency=1"
    return graph


Feed = Callable[[BinaryIO], None]  # writes the raw PCM into the encoder's stdin


def encode_master(source: Path | Feed, rate: int, channels: int, master: Master, out: Path, bitrate_kbps: int) -> Loudness:
    """Raw s16le PCM (a file, or written by `source` into a pipe as it is mixed) -> gain
    (+ limiter) -> CBR MP3 with a Xing/LAME header (exact length).

    The encoder's packets also go (tee muxer) to a second ffmpeg that decodes and measures
    them while the file is written: the loudness of the MP3 a player decodes, at no extra wall
    time.
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
    meter = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
             "-f", "mp3", "-i", "pipe:0", "-af", MEASURE, "-f", "null", "-"]
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
    return parse_ebur128(meter_text)


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


# MPEG audio frame headers: bitrate (kbps) by index for MPEG-1 / MPEG-2(.5) Layer III, sample rates
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
ENCODER_DELAY = 1105  # LAME's 576 + decoder's 529 samples, trimmed by decoders that read the LAME tag


def mp3_frames(data: bytes) -> tuple[list[int], int, int]:
    """Byte offsets of the audio frames of an MP3 (ID3v2 and the Xing/Info frame skipped).

    Returns (offsets + [end], samples per frame, sample rate).
    """
    pos = 0
    if data[:3] == b"ID3":
        size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
        pos = 10 + size + (10 if data[5] & 0x10 else 0)
    offsets: list[int] = []
    samples = rate = 0
    first = True
    while pos + 4 <= len(data):
        h = int.from_bytes(data[pos : pos + 4], "big")
        version, layer = (h >> 19) & 3, (h >> 17) & 3
        br_index, sr_index, padding = (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
        if (h >> 21) != 0x7FF or layer != 1 or version == 1 or br_index in (0, 15) or sr_index == 3:
            break  # not a Layer III frame: the end (or trailing tags)
        mpeg1 = version == 3
        rate = _RATES[version][sr_index]
        samples = 1152 if mpeg1 else 576
        length = (144 if mpeg1 else 72) * _BITRATES[1 if mpeg1 else 2][br_index] * 1000 // rate + padding
        head = data[pos : pos + 64]
        if not (first and (b"Xing" in head or b"Info" in head)):  # the Xing/Info frame carries no audio
            offsets.append(pos)
        first = False
        pos += length
    return offsets + [pos], samples, rate


def cut_clips(episode_mp3: Path, windows: list[tuple[float, float]], outs: list[Path]) -> None:
    """Copy the MP3 frames of [start, end) seconds of the episode into each clip file.

    No re-encoding: clips sound exactly like the episode and cost almost nothing. Cuts fall on
    frame boundaries (26 ms), inside the silence kept around each item.
    """
    data = episode_mp3.read_bytes()
    offsets, per_frame, rate = mp3_frames(data)
    count = len(offsets) - 1
    if count <= 0:
        raise AudioError("the encoded episode has no MP3 frames", episode_mp3)

    def frame_at(seconds: float) -> int:
        return min(count, max(0, int((seconds * rate + ENCODER_DELAY) // per_frame)))

    for (start, end), out in zip(windows, outs):
        a = frame_at(start)
        b = min(count, max(a + 1, frame_at(end) + 1))
        out.write_bytes(data[offsets[a] : offsets[b]])
