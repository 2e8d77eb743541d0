"""Join the clips of one item's chunks/segments into one clip, shifting boundaries."""

from __future__ import annotations

import io
import wave
from dataclasses import replace

from studio.speech.base import Boundary, Clip

_BITRATES = {  # kbps for Layer III: MPEG-1, MPEG-2/2.5
    1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def mp3_duration_ms(data: bytes) -> float:
    """Duration of an MPEG Layer III stream by walking its frame headers."""
    i, n, samples, rate = 0, len(data), 0, 0
    if data[:3] == b"ID3" and n >= 10:
        i = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    while i + 4 <= n:
        b1, b2 = data[i + 1], data[i + 2]
        if data[i] != 0xFF or (b1 & 0xE0) != 0xE0:
            i += 1
            continue
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        br_idx, sr_idx = b2 >> 4, (b2 >> 2) & 3
        if version == 1 or layer != 1 or br_idx in (0, 15) or sr_idx == 3:
            i += 1
            continue
        bitrate = _BITRATES[1 if version == 3 else 2][br_idx] * 1000
        rate = _RATES[version][sr_idx]
        per_frame = 1152 if version == 3 else 576
        size = (144 if version == 3 else 72) * bitrate // rate + ((b2 >> 1) & 1)
        samples += per_frame
        i += size
    return samples / rate * 1000 if rate else 0.0


def wav_pcm(data: bytes) -> tuple[bytes, int]:
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.readframes(w.getnframes()), w.getframerate()


def pcm_wav(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def clip_duration_ms(clip: Clip) -> float:
    if clip.fmt == "wav":
        pcm, rate = wav_pcm(clip.audio)
        return len(pcm) / 2 / rate * 1000
    return mp3_duration_ms(clip.audio)


def silence_clip(ms: float = 300, rate: int = 24000) -> Clip:
    return Clip(audio=pcm_wav(bytes(int(rate * ms / 1000) * 2), rate), fmt="wav", engine="silence")


def join_clips(clips: list[Clip], text: str = "") -> Clip:
    """One clip from several of the same format; boundaries shifted by what came before."""
    if not clips:
        return replace(silence_clip(), text=text)
    if len(clips) == 1:
        return replace(clips[0], text=text or clips[0].text)
    bounds: list[Boundary] = []
    offset = 0.0
    fmts = {c.fmt for c in clips}
    if fmts == {"mp3"}:
        audio = b"".join(c.audio for c in clips)
    else:  # WAV (or mixed): join PCM at one sample rate
        pcms = []
        rate = wav_pcm(clips[0].audio)[1] if clips[0].fmt == "wav" else 24000
        for c in clips:
            if c.fmt != "wav" or wav_pcm(c.audio)[1] != rate:
                raise ValueError("cannot join clips of different formats without decoding")
            pcms.append(wav_pcm(c.audio)[0])
        audio = pcm_wav(b"".join(pcms), rate)
    for c in clips:
        bounds.extend(replace(b, offset_ms=b.offset_ms + offset) for b in c.boundaries)
        offset += clip_duration_ms(c)
    return Clip(audio=audio, fmt=clips[0].fmt if len(fmts) == 1 else "wav", boundaries=bounds,
                engine=clips[0].engine, text=text)
