"""Aligning a host's recording with the script: item starts, confidence, the wrong file, formats.

The recordings are made here (devtools.takes): another espeak-ng voice, rate and pitch
than the reference's, random pauses (a long one between items, another inside an item), a
retaken sentence, an ad-lib, noise at -60 dBFS and a 5 s jingle in front.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.audio.ffmpeg import run_ffmpeg
from studio.core.config import load_show
from studio.core.progress import Reporter
from studio.ingest import read_episode
from studio.recording.dtw import Costs, full_band, warp
from studio.recording.speech import align_recording
from tests.recording_support import FIXTURES, SCRIPTS, errors, take


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """The repo's show settings with a cache of this module's own."""
    root = tmp_path_factory.mktemp("align-show")
    text = (Path(__file__).resolve().parents[1] / "show.toml").read_text("utf-8")
    (root / "show.toml").write_text(text, "utf-8")
    for name in ("assets", "templates"):
        (root / name).symlink_to(Path(__file__).resolve().parents[1] / name)
    return load_show(root / "show.toml")


def aligned(show, script: str, recording: Path):
    episode = read_episode(FIXTURES / SCRIPTS[script])
    alignment, _ = align_recording(episode, show, recording, Reporter(quiet=True))
    return episode, alignment


@pytest.mark.parametrize("name", ["zh", "en"])
def test_item_starts_are_found_within_targets(show, name):
    made = take(name)
    episode, alignment = aligned(show, name, made.path)
    err = errors([p.start_s for p in alignment.items], made.starts)
    assert len(err) == len(episode.items)
    assert err.max() <= 1.0, np.round(err, 2)
    assert np.mean(err <= 0.5) >= 0.9, np.round(err, 2)
    assert all(p.located and p.confidence >= 0.5 for p in alignment.items)
    assert alignment.script_found > 0.95
    # the words of every item are in order and inside the item
    for p in alignment.items:
        starts = [w.start_s for w in p.words if w.kind == "word"]
        assert starts == sorted(starts) and p.start_s <= starts[0] and starts[-1] <= p.end_s


def test_an_item_the_host_did_not_read_is_named_and_the_others_still_found(show):
    made = take("zh-skip")
    episode, alignment = aligned(show, "zh", made.path)
    missing = [k for k, t in enumerate(made.starts) if t is None]
    assert [k for k, p in enumerate(alignment.items) if not p.located] == missing
    err = errors([p.start_s for p in alignment.items], made.starts)
    assert err.max() <= 1.0, np.round(err, 2)


def test_another_episodes_recording_is_found_wanting(show):
    _, alignment = aligned(show, "zh", take("en").path)
    assert alignment.script_found < 0.5
    assert sum(p.located for p in alignment.items) <= 1


@pytest.mark.parametrize("suffix,codec", [(".mp3", ["-b:a", "96k"]), (".m4a", ["-c:a", "aac", "-b:a", "96k"]),
                                          (".ogg", ["-c:a", "libopus", "-b:a", "48k"])])
def test_compressed_recordings_align_like_the_flac(show, tmp_path, suffix, codec):
    made = take("en")
    other = tmp_path / f"take{suffix}"
    run_ffmpeg(["-i", str(made.path), *codec, "-y", str(other)])
    _, wav = aligned(show, "en", made.path)
    _, compressed = aligned(show, "en", other)
    diff = [abs(a.start_s - b.start_s) for a, b in zip(wav.items, compressed.items)]
    assert max(diff) <= 0.2, diff


def test_warping_passes_over_what_only_the_recording_has():
    """A reference of distinct sounds; the recording says each twice as slowly, with noise it
    does not have in the pause between its halves: the path matches every reference frame with
    its own copies and leaves the noise to the filler row."""
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(40, 6)).astype(np.float32)
    ref[20] = 0  # a pause: the filler row
    slow = np.repeat(ref, 2, axis=0)
    noise = rng.normal(size=(15, 6)).astype(np.float32) * 3
    rec = np.concatenate([slow[:41], noise, slow[41:]])
    filler = np.zeros(40, bool)
    filler[20] = True
    costs = Costs(skip_ref=np.full(40, 8.0), skip_rec=np.where(filler, 2.0, 4.0), down_extra=0.5)
    rows, cols = warp(ref, rec, full_band(len(ref), len(rec)), costs)
    noise_cols = set(range(41, 56))
    assert {int(c) for r, c in zip(rows, cols) if r == 20} >= noise_cols
    for r, c in zip(rows, cols):
        if r != 20:
            expected = 2 * r + (15 if 2 * r >= 41 else 0)
            assert expected <= c <= expected + 1, (r, c)
