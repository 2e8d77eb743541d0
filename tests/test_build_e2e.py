"""End to end: `studio build` on the example episodes, offline, with no ffmpeg/espeak on PATH."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import feedparser
import pytest

from studio.audio.ffmpeg import decoded_duration_ms
from tests.conftest import make_show, run_studio

EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "episodes").iterdir())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both examples built into one output dir, each via the real CLI with --json."""
    root = make_show(tmp_path_factory.mktemp("show"))
    results = {}
    for name in EXAMPLES:
        proc = run_studio(["build", f"episodes/{name}", "--engine", "auto", "--json"], cwd=root)
        assert proc.returncode == 0, proc.stderr
        results[name] = (json.loads(proc.stdout), proc.stderr)
    return root, results


def test_examples_exist():
    assert len(EXAMPLES) >= 2


def test_json_summary_has_every_field(built):
    _, results = built
    for summary, _ in results.values():
        for key in ("episode", "out", "audio", "email_html", "feed", "duration_ms", "items", "synthesized", "cached"):
            assert key in summary
        assert summary["items"] > 0 and summary["synthesized"] + summary["cached"] == summary["items"]


def test_auto_falls_back_to_espeak_loudly(built):
    _, results = built
    for summary, stderr in results.values():
        assert summary["engine"] == "espeak"
        assert "WARNING" in stderr and "espeak-ng" in stderr and "127.0.0.1:9" in stderr


def test_audio_duration_matches_manifest(built):
    root, results = built
    for summary, _ in results.values():
        manifest = json.loads((Path(summary["out"]) / "manifest.json").read_text("utf-8"))
        decoded = decoded_duration_ms(Path(summary["audio"]))
        assert abs(decoded - manifest["audio"]["duration_ms"]) <= 100
        assert manifest["audio"]["bytes"] == os.path.getsize(summary["audio"])
        # items are laid out in order, inside the episode, each with its clip on disk
        ends = 0.0
        for item in manifest["items"]:
            assert ends <= item["start_ms"] < item["end_ms"] <= manifest["audio"]["duration_ms"] + 1
            ends = item["end_ms"]
            assert (Path(summary["out"]) / item["clip"]).is_file()


def test_feed_lists_every_built_episode_with_exact_enclosure(built):
    root, results = built
    feed = feedparser.parse((root / "public" / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == len(EXAMPLES)
    by_title = {e.title: e for e in feed.entries}
    for summary, _ in results.values():
        manifest = json.loads((Path(summary["out"]) / "manifest.json").read_text("utf-8"))
        entry = by_title[manifest["title"]]
        (enc,) = entry.enclosures
        assert int(enc["length"]) == os.path.getsize(summary["audio"])
        assert enc["type"] == "audio/mpeg"
        assert enc["href"].split("?v=")[0].endswith(f"episodes/{manifest['slug']}/{manifest['slug']}.mp3")


def test_email_contains_every_item_title_escaped(built):
    from studio.present.cjk import punctuate  # the email sets Chinese punctuation full-width

    _, results = built
    for summary, _ in results.values():
        page = Path(summary["email_html"]).read_text("utf-8")
        manifest = json.loads((Path(summary["out"]) / "manifest.json").read_text("utf-8"))
        for item in manifest["items"]:
            assert html.escape(punctuate(item["title"]), quote=False) in page
        text = (Path(summary["out"]) / "email.txt").read_text("utf-8")
        assert punctuate(manifest["items"][0]["title"]) in text


def test_index_lists_episodes_as_cards_that_play(built):
    root, results = built
    index = (root / "public" / "index.html").read_text("utf-8")
    assert index.count('class="ep-card"') == len(EXAMPLES) and "<audio" not in index
    for summary, _ in results.values():
        assert f'href="episodes/{summary["episode"]}/#play"' in index


def test_rebuild_uses_the_cache(built):
    root, results = built
    name = EXAMPLES[0]
    proc = run_studio(["build", f"episodes/{name}", "--engine", "espeak", "--json"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["synthesized"] == 0 and summary["cached"] == summary["items"]
