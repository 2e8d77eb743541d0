"""`studio build` of a script that names the host's recording: the episode is the recording,
mastered, cut into items; chapters, transcripts, email and feed are made as for a synthesized
episode. The recording is made here (tests/recording_support.py) with its truth known."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from studio.build.fingerprint import build_fingerprint, up_to_date
from studio.core.config import load_show
from studio.ingest import read_episode
from studio.recording.source import recording_for
from tests.audio_helpers import decode, locate, loudness
from tests.conftest import one_line_error, run_studio
from tests.recording_support import RATE, recorded_show, take
from tests.speech_support import parse_cues


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The zh script built from its recording, once for this module: (script, show root, build JSON)."""
    root = tmp_path_factory.mktemp("recorded")
    script = recorded_show(root, "zh")
    proc = run_studio(["build", str(script.relative_to(root)), "--json"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    return script, root, json.loads(proc.stdout)


def episode_dir(root: Path) -> Path:
    return root / "public" / "episodes" / "recorded-zh"


def episode_mp3(root: Path) -> Path:
    """The episode's MP3, named as its manifest says."""
    manifest = json.loads((episode_dir(root) / "manifest.json").read_text("utf-8"))
    return episode_dir(root) / manifest["audio"]["file"]


def test_the_build_reports_every_items_place_in_the_recording(built):
    script, root, result = built
    made = take("zh")
    assert result["engine"] == "recording" and result["synthesized"] == 0
    rep = result["recording"]
    assert rep["file"] == "take-zh.wav" and rep["not_located"] == [] and rep["script_found"] > 0.95
    assert [it["n"] for it in rep["items"]] == list(range(1, 10))
    for it, truth in zip(rep["items"], made.starts):
        assert it["located"] and 0.4 <= it["confidence"] <= 1.0
        assert abs(it["start_s"] - truth) <= 0.5
    manifest = json.loads((episode_dir(root) / "manifest.json").read_text("utf-8"))
    assert manifest["recording"] == rep and manifest["engine"] == "recording"


def test_chapters_start_where_each_items_speech_starts_in_the_episode(built):
    """Each item's first 1.5 s of speech, cut from the recording at its true start, is found in the
    episode by cross-correlation: its chapter starts there (within 0.5 s; the first chapter at 0)."""
    _, root, _ = built
    made = take("zh")
    recording = made.samples()
    episode = decode(episode_mp3(root), RATE)
    chapters = json.loads((episode_dir(root) / "chapters.json").read_text("utf-8"))["chapters"]
    manifest = json.loads((episode_dir(root) / "manifest.json").read_text("utf-8"))
    assert len(chapters) == 9 and chapters[0]["startTime"] == 0
    offsets = []
    for k, (chapter, item) in enumerate(zip(chapters, manifest["items"])):
        start = int(made.starts[k] * RATE)
        needle = recording[start : start + int(1.5 * RATE)]
        expected = item["start_ms"] / 1000 + (made.starts[0] if k == 0 else 0)  # clip 1 keeps the jingle before
        at, corr = locate(needle, episode, int(expected * RATE), 4 * RATE)
        assert corr > 0.6, (k, corr)  # the host's own words, mastered
        offsets.append(at / RATE - item["start_ms"] / 1000)
        if k:
            assert abs(chapter["startTime"] - item["start_ms"] / 1000) < 0.01
    assert all(0 <= off <= 0.5 for off in offsets[1:]), np.round(offsets, 2)
    assert offsets[0] > 5.0  # the first item's clip keeps the host's jingle before the first words


def test_nothing_the_host_said_is_cut(built):
    """The ad-lib and the false start of the retake are in the episode, in their place."""
    _, root, _ = built
    made = take("zh")
    recording = made.samples()
    episode = decode(episode_mp3(root), RATE)
    manifest = json.loads((episode_dir(root) / "manifest.json").read_text("utf-8"))
    starts = [it["start_ms"] / 1000 for it in manifest["items"]] + [len(episode) / RATE]
    for when, seconds in ((made.ad_lib_at, made.ad_lib_s), (made.retake_at, 1.0)):
        needle = recording[int(when * RATE) : int((when + seconds) * RATE)]
        item = max(k for k, t in enumerate(made.starts) if t <= when)  # it belongs to the item it follows
        mid = (starts[item] + starts[item + 1]) / 2
        at, corr = locate(needle, episode, int(mid * RATE), int((starts[item + 1] - starts[item]) / 2 * RATE) + RATE)
        assert corr > 0.6
        assert starts[item] <= at / RATE <= starts[item + 1]


def test_the_episode_meets_the_loudness_target(built):
    _, root, _ = built
    measured = loudness(episode_mp3(root))
    assert abs(measured.integrated - (-16.0)) <= 0.5
    assert measured.true_peak <= -1.0
    manifest = json.loads((episode_dir(root) / "manifest.json").read_text("utf-8"))
    assert manifest["recording"]["filters"][0].startswith("highpass")
    assert any(f.startswith("afftdn") for f in manifest["recording"]["filters"])  # noise at -60 dBFS: denoised


def test_transcripts_follow_the_host_in_order(built):
    script, root, _ = built
    cues = parse_cues((episode_dir(root) / "transcript.vtt").read_text("utf-8"))
    manifest = json.loads((episode_dir(root) / "manifest.json").read_text("utf-8"))
    assert cues and all(a[0] <= b[0] and a[1] <= b[0] + 1e-3 for a, b in zip(cues, cues[1:]))
    spoken = "".join(it.speech_text for it in read_episode(script).items)
    squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    assert all(squeeze(text) in squeeze(spoken) for _, _, text in cues)
    for item in manifest["items"]:  # each item's first cue: at its speech, with its heading's first words
        first = next(c for c in cues if c[0] >= item["start_ms"] / 1000 - 0.01)
        assert first[0] - item["start_ms"] / 1000 <= (1.0 if item["n"] > 1 else 7.0)  # the first: after the jingle
        assert squeeze(first[2]).startswith(squeeze(item["title"])[:2]), (item["title"], first)
        assert item["words"] > 5
    srt = (episode_dir(root) / "transcript.srt").read_text("utf-8")
    assert srt.count(" --> ") == len(cues)


def test_email_page_and_feed_are_made_as_for_a_synthesized_episode(built):
    _, root, _ = built
    ep = episode_dir(root)
    manifest = json.loads((ep / "manifest.json").read_text("utf-8"))
    html = (ep / "email.html").read_text("utf-8")
    chapters = json.loads((ep / "chapters.json").read_text("utf-8"))["chapters"]
    assert len(chapters) == len(manifest["items"])
    for item, chapter in zip(manifest["items"], chapters):
        assert (ep / item["clip"]).stat().st_size > 10_000
        assert f"#t={chapter['startTime']:.1f}" in html  # each item's link lands where its chapter starts
    feed = (root / "public" / "feed.xml").read_text("utf-8")
    assert "recorded-zh" in feed and "transcript.vtt" in feed and "chapters.json" in feed
    assert (ep / "index.html").is_file()


def test_items_explain_shows_each_items_start_and_confidence(built):
    script, root, _ = built
    cache = root / ".studio-cache" / "recording" / "recorded-zh.json"
    before = cache.stat().st_mtime_ns
    text = run_studio(["items", str(script), "--explain"], cwd=root)
    assert text.returncode == 0, text.stderr
    assert "Recording take-zh.wav" in text.stdout and "9 of 9 items located" in text.stdout
    rows = [line for line in text.stdout.splitlines() if re.match(r"\s+\d+\s+\d+:\d\d\.\d\d", line)]
    assert len(rows) == 9
    as_json = run_studio(["items", str(script), "--explain", "--json"], cwd=root)
    rep = json.loads(as_json.stdout)["recording"]
    assert [round(it["start_s"], 2) for it in rep["items"]] == [round(float(r.split()[1].split(":")[0]) * 60
                                                                      + float(r.split()[1].split(":")[1]), 2)
                                                                for r in rows]
    assert cache.stat().st_mtime_ns == before  # the build's alignment, not a new one


def test_an_unchanged_recording_is_a_no_op_and_a_changed_one_is_not(built, tmp_path):
    script, root, _ = built
    again = run_studio(["build", str(script), "--json"], cwd=root)
    assert again.returncode == 0 and json.loads(again.stdout)["cached"] == 9
    show = load_show(root / "show.toml")
    fingerprint = build_fingerprint(script, show, {"engine": show.speech.engine, "format": None})
    assert up_to_date(script, show.out_dir, fingerprint, show) is not None
    recording = recording_for(read_episode(script))
    kept = tmp_path / "kept.wav"
    shutil.copy(recording, kept)
    try:
        with open(recording, "r+b") as f:  # one sample changed
            f.seek(-2, 2)
            f.write(b"\x01\x02")
        assert up_to_date(script, show.out_dir, fingerprint, show) is None
    finally:
        shutil.copy(kept, recording)


def test_another_episodes_recording_stops_the_build_naming_it(tmp_path):
    script = recorded_show(tmp_path, "zh", recording="en")
    proc = run_studio(["build", str(script.relative_to(tmp_path)), "--quiet"], cwd=tmp_path)
    line = one_line_error(proc, "take-zh.wav", "of the script was found in this recording")
    assert "wrong file" in line
    assert not (tmp_path / "public" / "episodes" / "recorded-zh").exists()


@pytest.mark.parametrize("value,needle", [
    ('"missing.wav"', "file not found"),
    ('"take.txt"', "is not a WAV, FLAC, MP3, M4A/AAC or OGG/Opus file"),
    ("3", "must be a file name"),
    ('"corrupt.wav"', "cannot decode the recording"),
])
def test_a_bad_recording_is_one_line_naming_it(tmp_path, value, needle):
    script = recorded_show(tmp_path, "en")
    (script.parent / "take.txt").write_text("not audio")
    (script.parent / "corrupt.wav").write_bytes(b"RIFF" + bytes(range(256)) * 40)
    text = script.read_text("utf-8").replace("recording: take-en.flac", f"recording: {value}")
    script.write_text(text, "utf-8")
    proc = run_studio(["build", str(script.relative_to(tmp_path)), "--quiet"], cwd=tmp_path)
    line = one_line_error(proc, needle)
    assert "corrupt.wav" in line if "corrupt" in value else "recorded-en.md" in line
    assert not (tmp_path / "public" / "episodes" / "recorded-en").exists()


def test_a_recording_over_the_limit_is_refused(tmp_path):
    script = recorded_show(tmp_path, "en")
    toml = (tmp_path / "show.toml").read_text("utf-8")
    (tmp_path / "show.toml").write_text(toml.replace("recording_minutes = 180", "recording_minutes = 1"), "utf-8")
    proc = run_studio(["build", str(script.relative_to(tmp_path)), "--quiet"], cwd=tmp_path)
    one_line_error(proc, "take-en.flac", "longer than 1 minutes", "limits.recording_minutes")


def test_new_names_the_recording_relative_to_the_script(tmp_path):
    script = recorded_show(tmp_path, "en")
    takes = tmp_path / "takes"
    takes.mkdir()
    shutil.copy(script.parent / "take-en.flac", takes / "monday.flac")
    proc = run_studio(["new", "Monday", "--date", "2026-03-02", "--recording", "takes/monday.flac"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    new = tmp_path / proc.stdout.strip()
    meta = tomllib.loads(new.read_text("utf-8").split("+++")[1])
    assert meta["recording"] == "../takes/monday.flac"
    assert recording_for(read_episode(new)) == (takes / "monday.flac").resolve()
    missing = run_studio(["new", "Tuesday", "--recording", "takes/nope.wav"], cwd=tmp_path)
    one_line_error(missing, "file not found", "nope.wav")
    assert len(list((tmp_path / "episodes").glob("*tuesday*"))) == 0
