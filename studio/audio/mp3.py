"""MPEG-1/2 Layer III streams: frames, the LAME Info header, and joining separately encoded pieces.

A piece encoded on its own starts with a fresh bit reservoir, so its frames can follow any other
piece's frames. `join_pieces` writes one stream from pieces (each an ffmpeg/LAME CBR file with an Info
frame) and one Info frame for the whole: frame and byte counts, seek table, the first piece's
encoder delay, the padding after the last piece, the music CRC (combined from the pieces' own) and the
tag CRC. Decoders then trim exactly what a single encode would have them trim.
"""

from __future__ import annotations

import io
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from studio.speech.mp3frames import frame_header

ENCODER_DELAY = 1105  # LAME's 576 + decoder's 529 samples, trimmed by decoders that read the LAME tag
DECODER_DELAY = 529


def mp3_frames(source: bytes | Path, chunk: int = 1 << 20) -> tuple[array, int, int]:
    """Byte offsets of the audio frames of an MP3 (ID3v2 and the Xing/Info frame skipped).

    Returns (offsets + [end], samples per frame, sample rate). A file is read a chunk at a
    time: a 60-minute episode is never held in memory.
    """
    with (io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else open(source, "rb")) as f:
        head = f.read(10)
        pos = 0
        if head[:3] == b"ID3" and len(head) == 10:
            size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
            pos = 10 + size + (10 if head[5] & 0x10 else 0)
        offsets = array("q")
        samples = rate = 0
        first = True
        base, buf = pos, b""  # buf holds the file from byte `base` on
        f.seek(pos)
        while True:
            if pos + 64 > base + len(buf):  # refill: keep what is left of the window
                if pos - base >= len(buf):
                    f.seek(pos)
                    buf = b""
                else:
                    buf = buf[pos - base :]
                buf += f.read(max(chunk, 64))
                base = pos
                if pos + 4 > base + len(buf):
                    break
            at = pos - base
            head = frame_header(int.from_bytes(buf[at : at + 4], "big"))
            if head is None:
                break  # not a Layer III frame: the end (or trailing tags)
            rate, samples, length = head.rate, head.samples, head.size
            if not (first and (b"Xing" in buf[at : at + 64] or b"Info" in buf[at : at + 64])):
                offsets.append(pos)  # the Xing/Info frame carries no audio
            first = False
            pos += length
    offsets.append(pos)
    return offsets, samples, rate


# CRC-16/ARC (polynomial 0x8005, reflected, initial 0), as LAME and ffmpeg use in the Info tag
def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC = _crc_table()


def crc16(data: bytes, crc: int = 0) -> int:
    for byte in data:
        crc = (crc >> 8) ^ _CRC[(crc ^ byte) & 0xFF]
    return crc


def _times(matrix: list[int], vector: int) -> int:
    out, i = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[i]
        vector >>= 1
        i += 1
    return out


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """CRC of A + B from the CRCs of A and B (B is `length_b` bytes): A's CRC run through as
    many zero bytes (a linear map over GF(2), raised to the power by squaring) xor B's."""
    one_bit = [0xA001] + [1 << (k - 1) for k in range(1, 16)]  # one zero bit: the matrix's columns
    op = one_bit
    for _ in range(3):  # one zero byte = eight zero bits
        op = [_times(op, col) for col in op]
    n = length_b
    while n:
        if n & 1:
            crc_a = _times(op, crc_a)
        n >>= 1
        if n:
            op = [_times(op, col) for col in op]
    return crc_a ^ crc_b


@dataclass
class Encoded:
    """One piece as its encoder wrote it: an Info frame, then audio frames."""

    path: Path
    info: bytes  # the Info frame
    audio_start: int  # byte offset of the first audio frame
    frames: int  # audio frames
    delay: int  # encoder delay in the LAME tag (samples)
    padding: int  # samples appended after the content
    music_crc: int
    samples_per_frame: int
    rate: int

    @property
    def audio_bytes(self) -> int:
        return self.path.stat().st_size - self.audio_start


def _tag_offset(frame: bytes) -> int:
    for name in (b"Info", b"Xing"):
        at = frame.find(name, 4, 48)
        if at > 0:
            return at
    raise ValueError("no Info/Xing tag")


def read_encoded(path: Path) -> Encoded:
    """Parse a piece written by the encoder (no ID3 tag, an Info frame with a LAME tag)."""
    offsets, per_frame, rate = mp3_frames(path)
    with open(path, "rb") as f:
        info = f.read(offsets[0]) if offsets else b""
    if len(offsets) < 2 or offsets[0] == 0:
        raise ValueError(f"{path.name}: no Info frame or no audio frames")
    tag = _tag_offset(info)
    if struct.unpack(">I", info[tag + 4 : tag + 8])[0] != 0x0F:
        raise ValueError(f"{path.name}: unexpected Info tag layout")
    lame = tag + 120
    delay_padding = int.from_bytes(info[lame + 21 : lame + 24], "big")
    return Encoded(
        path=path, info=info, audio_start=offsets[0], frames=len(offsets) - 1,
        delay=delay_padding >> 12, padding=delay_padding & 0xFFF,
        music_crc=struct.unpack(">H", info[lame + 32 : lame + 34])[0],
        samples_per_frame=per_frame, rate=rate,
    )


def join_pieces(pieces: list[Encoded], out: BinaryIO, padding: int, chunk: int = 1 << 20) -> int:
    """Write the pieces as one stream with one Info frame (`padding`: samples after the audio in
    the last frame); return the bytes written."""
    first = pieces[0]
    sizes = [p.audio_bytes for p in pieces]
    frames, audio = sum(p.frames for p in pieces), sum(sizes)
    crc = 0
    for p, size in zip(pieces, sizes):
        crc = crc16_combine(crc, p.music_crc, size)
    info = bytearray(first.info)
    tag = _tag_offset(first.info)
    lame = tag + 120
    total = len(info) + audio
    struct.pack_into(">II", info, tag + 8, frames, total)
    frame_bytes = audio / frames
    for i in range(100):  # seek table: where each percent of the duration starts, in 1/256ths of the file
        at = len(info) + int(i * frames / 100) * frame_bytes
        info[tag + 16 + i] = min(255, int(at * 256 / total))
    info[lame + 21 : lame + 24] = ((first.delay << 12) | padding).to_bytes(3, "big")
    struct.pack_into(">IH", info, lame + 28, total, crc)
    info[lame + 34 : lame + 36] = b"\0\0"
    struct.pack_into(">H", info, lame + 34, crc16(bytes(info[:190])))
    out.write(info)
    for p in pieces:
        with open(p.path, "rb") as f:
            f.seek(p.audio_start)
            while block := f.read(chunk):
                out.write(block)
    return total
