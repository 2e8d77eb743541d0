"""Generate the show's license-clean jingles (intro, outro, stinger) with numpy.

    python -m devtools.jingles assets/

Small FM "electric piano" voices with envelopes over a soft pad, a plucked
arpeggio and a bass line; written as 44.1 kHz mono MP3 with the bundled ffmpeg.
Deterministic: the same code gives the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from studio.audio.segments import from_pcm

RATE = 44100
A4 = 440.0


def hz(note: int) -> float:
    """MIDI note number -> frequency."""
    return A4 * 2 ** ((note - 69) / 12)


def envelope(n: int, attack: float, decay: float, sustain: float, release: float) -> np.ndarray:
    """ADSR-ish: linear attack, exponential decay to `sustain`, cosine release over the last `release` s."""
    t = np.arange(n) / RATE
    env = np.where(t < attack, t / max(attack, 1e-6), sustain + (1 - sustain) * np.exp(-(t - attack) / max(decay, 1e-6)))
    r = int(release * RATE)
    if 0 < r < n:
        env[-r:] *= 0.5 * (1 + np.cos(np.linspace(0, np.pi, r)))
    return env


def fm_tone(note: int, dur: float, index: float = 1.6, ratio: float = 1.0, decay: float = 0.5) -> np.ndarray:
    """A bell/e-piano tone: a sine carrier phase-modulated by a decaying modulator."""
    n = int(dur * RATE)
    t = np.arange(n) / RATE
    f = hz(note)
    mod_env = np.exp(-t / (decay * 0.5))
    tone = np.sin(2 * np.pi * f * t + index * mod_env * np.sin(2 * np.pi * f * ratio * t))
    return tone * envelope(n, 0.004, decay, 0.0, min(0.08, dur / 3))


def pad(notes: list[int], dur: float) -> np.ndarray:
    """A soft chord: slightly detuned sines with a slow swell."""
    n = int(dur * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for note in notes:
        for detune in (-0.12, 0.0, 0.12):
            out += np.sin(2 * np.pi * hz(note + detune) * t + note)
    return out / (3 * len(notes)) * envelope(n, dur * 0.35, 10.0, 1.0, dur * 0.4)


def place(buf: np.ndarray, sound: np.ndarray, at: float, gain: float = 1.0) -> None:
    i = int(at * RATE)
    end = min(len(buf), i + len(sound))
    buf[i:end] += gain * sound[: end - i]


def finish(buf: np.ndarray, peak_db: float = -3.0) -> np.ndarray:
    buf = buf - buf.mean()
    fade = int(0.03 * RATE)
    buf[-fade:] *= np.linspace(1, 0, fade)
    return buf / np.abs(buf).max() * 10 ** (peak_db / 20)


# chords as MIDI notes (C major): I, V, vi, IV and the cadence IV, V, I
C, G, AM, F = [60, 64, 67], [55, 59, 62], [57, 60, 64], [53, 57, 60]


def intro() -> np.ndarray:
    """~5 s: I-V-vi-IV arpeggios over a pad, landing on a ringing I chord."""
    beat = 0.3
    buf = np.zeros(int(5.2 * RATE))
    for bar, chord in enumerate([C, G, AM, F]):
        start = bar * 4 * beat
        place(buf, pad([n - 12 for n in chord], 4 * beat + 0.3), start, 0.35)
        place(buf, fm_tone(chord[0] - 24, 4 * beat, index=0.6, decay=0.6), start, 0.45)
        for step, note in enumerate([chord[0], chord[1], chord[2], chord[1] + 12]):
            place(buf, fm_tone(note + 12, 0.6, decay=0.35), start + step * beat, 0.28)
    end = 16 * beat
    for note in [72, 76, 79, 84]:
        place(buf, fm_tone(note, 5.2 - end, index=1.2, decay=0.9), end, 0.22)
    place(buf, pad([48, 55, 64], 5.2 - end), end, 0.4)
    return finish(buf)


def outro() -> np.ndarray:
    """~4 s: a IV-V-I cadence with a descending melody, then a long tail."""
    beat = 0.32
    buf = np.zeros(int(4.2 * RATE))
    melody = [84, 81, 79, 77, 76, 74, 72]
    for bar, chord in enumerate([F, G]):
        start = bar * 4 * beat
        place(buf, pad([n - 12 for n in chord], 4 * beat + 0.3), start, 0.35)
        place(buf, fm_tone(chord[0] - 24, 4 * beat, index=0.6, decay=0.6), start, 0.45)
    for i, note in enumerate(melody):
        place(buf, fm_tone(note, 0.7, decay=0.35), i * beat * 8 / len(melody), 0.3)
    end = 8 * beat
    for note in [60, 64, 67, 72]:
        place(buf, fm_tone(note, 4.2 - end, index=1.0, decay=0.8), end, 0.25)
    place(buf, pad([36, 48, 55], 4.2 - end), end, 0.5)
    return finish(buf)


def stinger() -> np.ndarray:
    """0.8 s: a bright rising two-note chime marking a new section."""
    buf = np.zeros(int(0.8 * RATE))
    place(buf, fm_tone(79, 0.8, index=2.0, ratio=3.5, decay=0.3), 0.0, 0.5)
    place(buf, fm_tone(84, 0.68, index=2.0, ratio=3.5, decay=0.3), 0.12, 0.5)
    return finish(buf, -4.0)


def write_mp3(samples: np.ndarray, out: Path) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    from_pcm(pcm, RATE).export(str(out), format="mp3", bitrate="128k", parameters=["-map_metadata", "-1"])


def make_jingles(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, fn in (("intro", intro), ("outro", outro), ("stinger", stinger)):
        out = folder / f"{name}.mp3"
        write_mp3(fn(), out)
        made.append(out)
    return made


if __name__ == "__main__":
    for p in make_jingles(Path(sys.argv[1] if len(sys.argv) > 1 else "assets")):
        print(p)
