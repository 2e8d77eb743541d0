"""Make a host's recording of a script, with the truth known: for tests and benchmarks.

    python -m devtools.takes SCRIPT OUT.wav [--voice en-GB-scotland+m3] [--rate=-10%] [--seed 1]

Each sentence of each item is read by an espeak-ng voice other than the one the aligner
synthesizes with (another variant, rate and pitch, a darker tone), or by a voice of another
synthesizer (`--voice flite:slt`: Debian's flite, voices built from recorded people), with
random pauses between sentences and items (a long one between two items, another inside an
item), one sentence read twice (a retake: its first half, a pause, then all of it), one
ad-lib that is not in the script, room noise at -60 dBFS and a 5 s jingle in front.
`Take.starts` are the true item starts in seconds (the first sample of each item's first
sentence that is louder than -45 dBFS).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from devtools import jingles
from studio.audio.ffmpeg import run_ffmpeg
from studio.ingest import read_episode
from studio.speech.base import VoiceSettings
from studio.speech.espeak import EspeakEngine
from studio.speech.text import speech_sentences

RATE = jingles.RATE
ONSET_DB = -45.0
PEAK_DB = -3.0  # the recording's sample peak (before the room noise)
AD_LIBS = {"zh": "嗯，好，我们接着往下说。", "en": "Okay, where was I. Right, let's move on."}


@dataclass
class Take:
    samples: np.ndarray  # float32 mono at RATE
    starts: list[float | None]  # true start of every item, seconds (None: not read)
    sentences: list[list[float]] = field(default_factory=list)  # every sentence's start, per item
    retake_item: int = -1
    ad_lib_before: int = -1
    ad_lib_at: float = 0.0  # seconds
    ad_lib_s: float = 0.0  # its length
    retake_at: float = 0.0  # where the false start of the retake begins

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


def _flite(text: str, voice: str, rate: str) -> bytes:
    """Another synthesizer altogether (Debian's flite; its voices are built from recorded people)."""
    stretch = 1 / (1 + int(rate.strip().rstrip("%")) / 100)
    with tempfile.TemporaryDirectory(prefix="studio-take-") as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}", "-t", text, "-o", str(out)],
                       check=True, capture_output=True)
        return out.read_bytes()


def _speak(engine: EspeakEngine, text: str, voice: str, rate: str, pitch: float) -> np.ndarray:
    if voice.startswith("flite:"):
        audio = _flite(text, voice.removeprefix("flite:"), rate)
    else:
        audio = engine.synthesize_sync(text, VoiceSettings(voice=voice, rate=rate)).audio
    shift = f"asetrate={{rate}}*{pitch:.4f},aresample={RATE},atempo={1 / pitch:.4f}," if pitch != 1 else ""
    with wave.open(io.BytesIO(audio)) as w:
        src = w.getframerate()
    graph = shift.format(rate=src) + f"aresample={RATE},lowpass=f=7000,equalizer=f=250:t=q:w=1:g=4"
    pcm = run_ffmpeg(["-f", "wav", "-i", "pipe:0", "-af", graph, "-f", "s16le", "-ac", "1", "-ar", str(RATE),
                      "pipe:1"], audio)
    return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768


def onset(samples: np.ndarray) -> int:
    """The first 5 ms block louder than ONSET_DB (its first sample)."""
    block = RATE // 200
    n = len(samples) // block
    rms = np.sqrt(np.mean(samples[: n * block].reshape(n, block) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(20 * np.log10(rms) > ONSET_DB)
    return int(loud[0]) * block if len(loud) else 0


def make_take(items: list[str], language: str = "zh", voice: str | None = None, rate: str = "-12%",
              pitch: float = 1.12, seed: int = 1, jingle_s: float = 5.0, noise_db: float = -60.0,
              long_pause_s: float = 12.0, retake: bool = True, ad_lib: bool = True, skip: tuple[int, ...] = ()) -> Take:
    """A recording of `items` (their speech text) with known item starts; the items in `skip` are not read
    (their start is None)."""
    rng = np.random.default_rng(seed)
    engine = EspeakEngine()
    voice = voice or ("cmn+f3" if language == "zh" else "en-GB-scotland+m3")
    chunks: list[np.ndarray] = []
    at = 0

    def add(samples: np.ndarray) -> None:
        nonlocal at
        chunks.append(samples)
        at += len(samples)

    def pause(seconds: float) -> None:
        add(np.zeros(int(seconds * RATE), np.float32))

    if jingle_s > 0:
        music = jingles.intro()[: int(jingle_s * RATE)].astype(np.float32) * 0.5
        add(music)
        pause(rng.uniform(0.3, 1.0))
    count = len(items)
    sentences_of = [[s.strip() for s in speech_sentences(text) if s.strip()] for text in items]
    several = [n for n in range(count) if len(sentences_of[n]) > 1 and n not in skip]  # a retake inside an item
    retake_item = min(several or range(count), key=lambda n: abs(n - count // 2)) if retake and count > 1 else -1
    ad_lib_before = next((n for n in range(max(1, count * 2 // 3), count) if n not in skip), -1) if ad_lib and count > 2 else -1
    long_after = 1 if count > 2 else -1  # a long pause between items 2 and 3, another inside an item
    long_inside = next((n for n in several if n != retake_item), -1)
    take = Take(np.zeros(0, np.float32), [], retake_item=retake_item, ad_lib_before=ad_lib_before)
    for n, text in enumerate(items):
        if n in skip:
            take.sentences.append([])
            take.starts.append(None)
            continue
        if n == ad_lib_before:
            take.ad_lib_at = at / RATE
            add(_speak(engine, AD_LIBS.get(language, AD_LIBS["en"]), voice, rate, pitch))
            take.ad_lib_s = at / RATE - take.ad_lib_at
            pause(rng.uniform(0.5, 1.2))
        sentences = sentences_of[n]
        starts = []
        for k, sentence in enumerate(sentences):
            speech = _speak(engine, sentence, voice, rate, pitch)
            starts.append((at + onset(speech)) / RATE)  # a retaken first sentence: the item starts at the first try
            if n == retake_item and k == min(1, len(sentences) - 1):
                take.retake_at = at / RATE
                add(speech[: len(speech) // 2])  # the host stumbles, stops and reads it again
                pause(rng.uniform(0.6, 1.5))
                if k > 0:
                    starts[-1] = (at + onset(speech)) / RATE
            add(speech)
            if k < len(sentences) - 1:
                pause(long_pause_s * 2 / 3 if n == long_inside and k == 0 else rng.uniform(0.15, 1.2))
        take.sentences.append(starts)
        take.starts.append(starts[0])
        pause(long_pause_s if n == long_after else rng.uniform(0.8, 3.0))
    samples = np.concatenate(chunks)
    samples *= np.float32(10 ** (PEAK_DB / 20) / max(1e-9, float(np.abs(samples).max())))  # recorded with headroom
    if noise_db > -120:
        noise = rng.standard_normal(len(samples)).astype(np.float32)
        samples = samples + noise * np.float32(10 ** (noise_db / 20))
    take.samples = samples
    return take


def write_take(take: Take, out: Path) -> Path:
    """The recording as WAV, FLAC, MP3, M4A or OGG (by the file's suffix), 44.1 kHz mono."""
    pcm = (np.clip(take.samples, -1, 1) * 32767).astype("<i2").tobytes()
    codec = {".wav": [], ".flac": [], ".mp3": ["-b:a", "128k"], ".m4a": ["-c:a", "aac", "-b:a", "128k"],
             ".ogg": ["-c:a", "libopus", "-b:a", "64k"], ".opus": ["-c:a", "libopus", "-b:a", "64k"]}
    suffix = out.suffix.lower()
    if suffix not in codec:
        raise ValueError(f"unknown recording format {suffix}")
    run_ffmpeg(["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0", *codec[suffix], "-y", str(out)], pcm)
    return out


def spoken(item, headings: bool = True) -> str:
    """What the host reads for an item: its speech text, with or without its heading."""
    text = item.speech_text
    if not headings:
        for sep in ("。", ". ", "."):
            if text.startswith(item.title + sep):
                return text[len(item.title + sep):].strip()
    return text


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("script", type=Path)
    ap.add_argument("out", type=Path, help="the recording: .wav, .flac, .mp3, .m4a, .ogg or .opus")
    ap.add_argument("--voice", help="an espeak-ng voice (cmn+f3, en-GB-scotland+m3) or flite:NAME")
    ap.add_argument("--rate", default="-12%")
    ap.add_argument("--pitch", type=float, default=1.12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--language", default="zh")
    ap.add_argument("--no-headings", action="store_true", help="the host does not read the items' headings")
    ap.add_argument("--skip", type=int, action="append", default=[], help="an item (from 1) the host does not read")
    args = ap.parse_args(argv)
    episode = read_episode(args.script)
    take = make_take([spoken(it, not args.no_headings) for it in episode.items], args.language, args.voice,
                     args.rate, args.pitch, args.seed, skip=tuple(n - 1 for n in args.skip))
    write_take(take, args.out)
    print(json.dumps({"file": str(args.out), "seconds": round(take.seconds, 2), "starts": take.starts,
                      "sentences": take.sentences, "ad_lib_at": take.ad_lib_at, "retake_at": take.retake_at}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
