"""Join the clips of one item's requests into one clip, shifting boundaries.

A service pads each answer with silence after its last word (the real Edge service about 0.8 s:
edge-tts itself adds 875 ms to the offsets of the next chunk). Where two MP3 answers meet,
silent frames are taken off the end of the first (studio.speech.mp3frames, never a frame with
sound) until the pause is as long as the voice's own pause between sentences, measured inside
the item's answers (or half that where the cut is inside a sentence: a change of voice).
"""

from __future__ import annotations

import io
import statistics
import wave
from dataclasses import replace

from studio.speech.base import Boundary, Clip
from studio.speech.mp3frames import Frame, layer3_frames, mp3_duration_ms
from studio.speech.text import ends_sentence, speech_sentences

SENTENCE_PAUSE_MS = 500.0  # when no answer of the item shows one (each holds a single sentence)
KEPT_TAIL_MS = 60.0  # silence always kept after the first answer's sound

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


def join_clips(clips: list[Clip], text: str = "", parts: list[str] | None = None) -> Clip:
    """One clip from several of the same format; boundaries shifted by what came before.
    `parts` are the texts the clips speak: MP3 joins are trimmed to the voice's pause."""
    if not clips:
        return replace(silence_clip(), text=text)
    if len(clips) == 1:
        return replace(clips[0], text=text or clips[0].text)
    bounds: list[Boundary] = []
    offset = 0.0
    fmts = {c.fmt for c in clips}
    if fmts == {"mp3"}:
        pieces = _trimmed_mp3(clips, parts or None)
        audio = b"".join(piece for piece, _ in pieces)
        durations = [ms for _, ms in pieces]
    else:  # WAV (or mixed): join PCM at one sample rate
        pcms = []
        rate = wav_pcm(clips[0].audio)[1] if clips[0].fmt == "wav" else 24000
        for c in clips:
            if c.fmt != "wav" or wav_pcm(c.audio)[1] != rate:
                raise ValueError("cannot join clips of different formats without decoding")
            pcms.append(wav_pcm(c.audio)[0])
        audio = pcm_wav(b"".join(pcms), rate)
        durations = [clip_duration_ms(c) for c in clips]
    for c, duration in zip(clips, durations):  # a word ends where its clip's (trimmed) audio does, at the latest
        bounds.extend(replace(b, offset_ms=b.offset_ms + offset,
                              duration_ms=max(0.0, min(b.duration_ms, duration - b.offset_ms))) for b in c.boundaries)
        offset += duration
    return Clip(audio=audio, fmt=clips[0].fmt if len(fmts) == 1 else "wav", boundaries=bounds,
                engine=clips[0].engine, text=text)


def _trimmed_mp3(clips: list[Clip], parts: list[str] | None) -> list[tuple[bytes, float]]:
    """Each clip's MP3 and its length (ms); knowing the texts, the silence at the end of all but
    the last is cut to the item's pause."""
    frames = [layer3_frames(c.audio) for c in clips]
    pause = _sentence_pause(frames, parts) if parts else 0.0
    out = []
    for n, (clip, own) in enumerate(zip(clips, frames)):
        drop = 0
        if parts and n + 1 < len(clips) and own and frames[n + 1]:
            ms = own[0].ms
            tail, lead = _silent_run(reversed(own)), _silent_run(frames[n + 1])
            want = pause if ends_sentence(parts[n]) else pause / 2
            drop = max(0, int(min(tail - KEPT_TAIL_MS / ms, (tail + lead) - want / ms)))
        kept = own[: len(own) - drop]
        audio = clip.audio[: kept[-1].offset + kept[-1].size] if drop else clip.audio
        out.append((audio, sum(f.ms for f in kept)))
    return out


def _silent_run(frames) -> int:
    count = 0
    for f in frames:
        if not f.silent:
            break
        count += 1
    return count


def _sentence_pause(frames: list[list[Frame]], parts: list[str]) -> float:
    """The voice's pause between sentences (ms): the longest silences inside answers of several sentences."""
    pauses: list[float] = []
    for own, text in zip(frames, parts):
        inner = len(speech_sentences(text)) - 1
        if inner < 1 or not own:
            continue
        runs, count = [], 0
        for f in own[_silent_run(own) : len(own) - _silent_run(reversed(own))]:
            if f.silent:
                count += 1
            elif count:
                runs.append(count)
                count = 0
        pauses += [r * own[0].ms for r in sorted(runs, reverse=True)[:inner]]
    return statistics.median(pauses) if pauses else SENTENCE_PAUSE_MS

