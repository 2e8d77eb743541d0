"""`studio build` / `studio init` end to end (offline espeak-ng voice): the published episode MP3."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3

from studio.audio.tags import read_chapters
from tests.audio_helpers import RATE, decode, loudness
from tests.conftest import make_show, run_studio

SCRIPT = """\
+++
title = "测试节目 第3期"
date = 2026-02-06
number = 3
summary = "三条短新闻。"
[audio]
stinger = "assets/stinger.mp3"
+++

# 新闻

## 英伟达发布新芯片

英伟达今天发布了新一代芯片，性能提升一倍。[来源](https://example.com/nvidia)

## 微软收购一家公司

微软宣布完成收购，交易金额十亿美元。

# 工具

## 一个新的编辑器

这个编辑器速度很快，而且免费。[主页](https://example.com/editor)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_show(tmp_path_factory.mktemp("show"))
    (root / "episodes" / "2026-02-06-test.md").write_text(SCRIPT, "utf-8")
    proc = run_studio(["build", "episodes/2026-02-06-test.md", "--engine", "espeak", "--json"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    out = Path(summary["out"])
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    return root, out, manifest


def onset_ms(mix: np.ndarray, around_ms: float) -> float:
    """First 5 ms window after (around - 300 ms) whose level rises above -45 dBFS: where speech starts."""
    step = RATE // 200
    start = int((around_ms - 300) / 1000 * RATE)
    for i in range(start, start + RATE, step):
        if np.sqrt(np.mean(mix[i : i + step] ** 2)) > 10 ** (-45 / 20):
            return i / RATE * 1000
    raise AssertionError(f"no speech near {around_ms} ms")


def test_manifest_has_loudness_and_chapters(built):
    _, out, manifest = built
    assert manifest["chapters"] == "chapters.json"
    loud = manifest["loudness"]
    assert abs(loud["integrated_lufs"] - (-16.0)) <= 1.0 and loud["true_peak_dbtp"] <= -1.0
    measured = loudness(out / f"{out.name}.mp3")
    assert loud["integrated_lufs"] == pytest.approx(measured.integrated, abs=0.15)
    assert loud["true_peak_dbtp"] == pytest.approx(measured.true_peak, abs=0.15)


def test_duration_and_speech_starts_match_the_decoded_file(built):
    _, out, manifest = built
    mix = decode(out / f"{out.name}.mp3")
    assert abs(len(mix) / RATE * 1000 - manifest["audio"]["duration_ms"]) <= 50
    for item in manifest["items"][1:]:  # after a silent gap (or a stinger), speech begins at start_ms
        assert abs(onset_ms(mix, item["start_ms"]) - item["start_ms"]) <= 50, item["title"]


def test_chap_frames_cover_the_episode_in_order(built):
    _, out, manifest = built
    chapters = read_chapters(out / f"{out.name}.mp3")
    assert [c.title for c in chapters] == [it["title"] for it in manifest["items"]]
    assert chapters[0].start_ms == 0
    assert abs(chapters[-1].end_ms - manifest["audio"]["duration_ms"]) <= 1
    for a, b in zip(chapters, chapters[1:]):
        assert a.start_ms < a.end_ms == b.start_ms
    for ch, item in list(zip(chapters, manifest["items"]))[1:]:
        assert abs(ch.start_ms - item["start_ms"]) <= 50
    assert chapters[0].url == "https://example.com/nvidia" and chapters[1].url == ""
    id3 = ID3(out / f"{out.name}.mp3")
    assert str(id3["TIT2"]) == manifest["title"] and str(id3["TRCK"]) == "3"
    assert id3.getall("APIC")[0].type == 3


def test_chapters_json_and_clip_files(built):
    _, out, manifest = built
    doc = json.loads((out / "chapters.json").read_text("utf-8"))
    assert [c["title"] for c in doc["chapters"]] == [it["title"] for it in manifest["items"]]
    assert all({"startTime", "endTime", "title"} <= set(c) for c in doc["chapters"])
    for item in manifest["items"]:
        clip = out / item["clip"]
        assert str(ID3(clip)["TIT2"]) == item["title"]
        seconds = len(decode(clip)) / RATE
        assert abs(seconds - (item["end_ms"] - item["start_ms"]) / 1000) <= 0.6


def test_stinger_from_front_matter_separates_sections(built):
    root, _, manifest = built
    items = manifest["items"]
    stinger_s = len(decode(root / "assets" / "stinger.mp3")) / RATE
    same = (items[1]["start_ms"] - items[0]["end_ms"]) / 1000
    new_section = (items[2]["start_ms"] - items[1]["end_ms"]) / 1000
    half_frame = 576 / RATE  # a gap where the episode is cut into pieces may move by half an MP3 frame
    assert same == pytest.approx(0.6, abs=half_frame + 0.001)
    assert new_section == pytest.approx(1.2 + stinger_s, abs=half_frame + 0.001)


def test_missing_jingle_is_one_line_naming_show_toml(tmp_path):
    root = make_show(tmp_path)
    toml = (root / "show.toml").read_text("utf-8").replace('outro = "assets/outro.mp3"', 'outro = "assets/gone.mp3"')
    (root / "show.toml").write_text(toml, "utf-8")
    proc = run_studio(["build", "episodes/2024-03-27-ai-newsletter.md", "--engine", "espeak"], cwd=root)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "show.toml" in lines[0] and "audio.outro" in lines[0] and "gone.mp3" in lines[0]
    assert "Traceback" not in proc.stderr and not (root / "public").exists()


def test_init_ships_jingles_and_the_new_show_builds_with_them(tmp_path):
    proc = run_studio(["init", "myshow"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    show = tmp_path / "myshow"
    for name in ("intro.mp3", "outro.mp3", "stinger.mp3", "cover.jpg"):
        assert (show / "assets" / name).stat().st_size > 1000
    assert "[audio]" in (show / "show.toml").read_text("utf-8")
    episode = next((show / "episodes").glob("*.md"))
    proc = run_studio(["build", str(episode.relative_to(show)), "--engine", "espeak", "--json"], cwd=show)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((Path(json.loads(proc.stdout)["out"]) / "manifest.json").read_text("utf-8"))
    intro_s = len(decode(show / "assets" / "intro.mp3")) / RATE
    assert manifest["items"][0]["start_ms"] == pytest.approx((intro_s - 1.5) * 1000, abs=2)


def test_noop_rebuild_reuses_the_audio_and_a_change_renders_again(built):
    root, out, manifest = built
    mp3 = out / f"{out.name}.mp3"
    before = mp3.stat().st_mtime_ns
    args = ["build", "episodes/2026-02-06-test.md", "--engine", "espeak", "--json"]
    proc = run_studio(args, cwd=root)
    assert proc.returncode == 0, proc.stderr
    again = json.loads((out / "manifest.json").read_text("utf-8"))
    assert mp3.stat().st_mtime_ns == before
    assert again["audio"] == manifest["audio"] and again["items"] == manifest["items"]
    assert again["audio_key"] == manifest["audio_key"]

    toml = (root / "show.toml").read_text("utf-8").replace("gap = 0.6", "gap = 0.9")
    (root / "show.toml").write_text(toml, "utf-8")
    proc = run_studio(args, cwd=root)
    assert proc.returncode == 0, proc.stderr
    changed = json.loads((out / "manifest.json").read_text("utf-8"))
    assert changed["audio_key"] != manifest["audio_key"]
    gap = changed["items"][1]["start_ms"] - changed["items"][0]["end_ms"]
    assert gap == pytest.approx(900, abs=2)
    assert all((out / it["clip"]).is_file() for it in changed["items"])
