"""The frames of an MPEG audio Layer III stream, and which of them are silent, without decoding.

A frame is silent when none of its granules carries spectral values beyond the +-1 region
(`big_values` is 0 in its side information): speech never encodes so, the zero padding a voice
service puts after its last word always does. Enough to trim that padding at a join of two
requests' audio (studio.speech.assemble) without touching a frame that holds sound.
"""

from __future__ import annotations

from dataclasses import dataclass

_BITRATES = {  # kbps for Layer III: MPEG-1, MPEG-2/2.5
    1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


@dataclass(frozen=True)
class Frame:
    offset: int  # in the stream, bytes
    size: int
    samples: int  # per channel
    rate: int
    silent: bool


def mp3_frames(data: bytes) -> list[Frame]:
    """Every Layer III frame of `data` (after an ID3v2 tag, skipping bytes between frames)."""
    i, n, frames = 0, len(data), []
    if data[:3] == b"ID3" and n >= 10:
        i = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    while i + 4 <= n:
        b1, b2, b3 = data[i + 1], data[i + 2], data[i + 3]
        if data[i] != 0xFF or (b1 & 0xE0) != 0xE0:
            i += 1
            continue
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        br_idx, sr_idx = b2 >> 4, (b2 >> 2) & 3
        if version == 1 or layer != 1 or br_idx in (0, 15) or sr_idx == 3:
            i += 1
            continue
        mpeg1 = version == 3
        bitrate = _BITRATES[1 if mpeg1 else 2][br_idx] * 1000
        rate = _RATES[version][sr_idx]
        size = (144 if mpeg1 else 72) * bitrate // rate + ((b2 >> 1) & 1)
        mono = (b3 >> 6) == 3
        side = i + 4 + (0 if b1 & 1 else 2)  # after the CRC when there is one
        frames.append(Frame(i, size, 1152 if mpeg1 else 576, rate, _silent(data[side : i + size], mpeg1, mono)))
        i += size
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
    frames = mp3_frames(data)
    return sum(f.samples for f in frames) / frames[0].rate * 1000 if frames else 0.0
