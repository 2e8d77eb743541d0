"""Host recordings made in the tests (devtools.takes), once per test session, with their truth."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from devtools.takes import RATE, make_take, spoken, write_take
from studio.ingest import read_episode
from tests.conftest import make_show

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "recording"
SCRIPTS = {"zh": "recorded-zh.md", "en": "recorded-en.md"}
_HOME = Path(tempfile.mkdtemp(prefix="studio-takes-"))


@dataclass(frozen=True)
class Made:
    path: Path  # the recording
    starts: tuple  # true item starts, seconds (None: not read)
    ad_lib_at: float
    ad_lib_s: float
    retake_at: float
    samples_path: Path  # float32 samples at RATE (for finding parts of it in an episode)

    def samples(self) -> np.ndarray:
        return np.load(self.samples_path)


# name -> (script, voice, rate, pitch, seed, headings read, items not read, file name)
TAKES = {
    "zh": ("zh", "cmn+f3", "-12%", 1.12, 1, True, (), "take-zh.wav"),
    "en": ("en", "en-GB-scotland+m3", "-10%", 0.92, 2, False, (), "take-en.flac"),
    "zh-skip": ("zh", "cmn+m3", "+10%", 0.9, 3, True, (3,), "take-zh-skip.wav"),
}


@functools.cache
def take(name: str) -> Made:
    """Make the recording `name` (see TAKES) once per session."""
    script, voice, rate, pitch, seed, headings, skip, file = TAKES[name]
    episode = read_episode(FIXTURES / SCRIPTS[script])
    texts = [spoken(it, headings) for it in episode.items]
    made = make_take(texts, "zh" if script == "zh" else "en", voice, rate, pitch, seed, skip=skip)
    folder = _HOME / name
    folder.mkdir(parents=True, exist_ok=True)
    out = write_take(made, folder / file)
    np.save(folder / "samples.npy", made.samples)
    (folder / "truth.json").write_text(json.dumps({"starts": made.starts}))
    return Made(out, tuple(made.starts), made.ad_lib_at, made.ad_lib_s, made.retake_at, folder / "samples.npy")


def recorded_show(dest: Path, script: str = "zh", recording: str | None = None) -> Path:
    """A copy of the repo's show with the script `script` in episodes/ and its recording beside it."""
    make_show(dest)
    src = FIXTURES / SCRIPTS[script]
    shutil.copy(src, dest / "episodes" / src.name)
    named = read_episode(src).meta["recording"]  # the file name the script's front matter gives
    shutil.copy(take(recording or script).path, dest / "episodes" / named)
    return dest / "episodes" / src.name


def errors(found: list, truth: tuple) -> np.ndarray:
    """|found - truth| per item that was read (found None: inf)."""
    return np.array([abs(f - t) if f is not None else np.inf for f, t in zip(found, truth) if t is not None])


__all__ = ["RATE", "FIXTURES", "Made", "take", "recorded_show", "errors", "spoken"]
