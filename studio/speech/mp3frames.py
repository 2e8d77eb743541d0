"""The frames of an MPEG audio Layer III stream, and which of them are silent, without decoding.

A frame is silent when none of its granules carries spectral values beyond the +-1 region
(`big_values` is 0 in its side information): speech never encodes so, the zero padding a voice
service puts after its last word always does. Enough to trim that padding at a join of two
requests' audio (studio.speech.assemble) without touching a frame that holds sound.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYER3_KBPS = {  # bitrate by index for Layer III: MPEG-1, MPEG-2/2.5
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class Header:
    """A Layer III frame header (its first four bytes as one big-endian number)."""

    size: int  # bytes of the frame
    samples: int  # per channel
    rate: int
    mpeg1: bool
    mono: bool
    crc: bool  # two bytes of CRC follow the header


def frame_header(h: int) -> Header | None:
    """The header `h` describes, or None when it is no Layer III frame header."""
    version, layer = (h >> 19) & 3, (h >> 17) & 3
    br_index, sr_index = (h >> 12) & 15, (h >> 10) & 3
    if (h >> 21) != 0x7FF or layer != 1 or version == 1 or br_index in (0, 15) or sr_index == 3:
        return None
    mpeg1 = version == 3
    rate = SAMPLE_RATES[version][sr_index]
    size = (144 if mpeg1 else 72) * LAYER3_KBPS[1 if mpeg1 else 2][br_index] * 1000 // rate + ((h >> 9) & 1)
    return Header(size, 1152 if mpeg1 else 576, rate, mpeg1, (h >> 6) & 3 == 3, not (h >> 16) & 1)


@dataclass(frozen=True)
class Frame:
    offset: int  # in the stream, bytes
    size: int
    samples: int  # per channel
    rate: int
    silent: bool

    @property
    def ms(self) -> float:
        return self.samples / self.rate * 1000


def layer3_frames(data: bytes) -> list[Frame]:
    """Every Layer III frame of `data` (after an ID3v2 tag, skipping bytes between frames)."""
    i, n, frames = 0, len(data), []
    if data[:3] == b"ID3" and n >= 10:
        i = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    while i + 4 <= n:
        head = frame_header(int.from_bytes(data[i : i + 4], "big"))
        if head is None:
            i += 1
            continue
        side = i + 4 + (2 if head.crc else 0)
        frames.append(Frame(i, head.size, head.samples, head.rate,
                            _silent(data[side : i + head.size], head.mpeg1, head.mono)))
        i += head.size
    return frames


def _silent(side: bytes, mpeg1: bool, mono: bool) -> bool:
    """Whether every granule of the frame has big_values == 0 (from its side information)."""
    channels = 1 if mono else 2
    granules = 2 if mpeg1 else 1
    if mpeg1:
        start = 9 + (5 if mono else 3) + 4 * channels  # main_data_begin, private bits, scfsi
    else:
        start = 8 + (1 if mono else 2)
    per_granule = 59 if mpeg1 else 63  # bits of side information per granule and channel
    need = (start + per_granule * granules * channels + 7) // 8
    if len(side) < need:
        return False
    bits = int.from_bytes(side[:need], "big")
    total = need * 8
    for g in range(granules * channels):
        at = start + g * per_granule + 12  # past part2_3_length
        big_values = (bits >> (total - at - 9)) & 0x1FF
        if big_values:
            return False
    return True


def mp3_duration_ms(data: bytes) -> float:
    """Duration of a Layer III stream by its frame headers."""
    return sum(f.ms for f in layer3_frames(data))
