"""`--show FILE`: every part of a build reads the show file given, not a show.toml beside it; renamed keys."""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.config import RENAMED, load_show, rename_keys
from tests.conftest import make_show, one_line_error, run_studio

SCRIPT = "episodes/2024-03-27-ai-newsletter.md"


def _alternative(root: Path, **changes: str) -> Path:
    """alt.toml: the show's settings with `changes` (top-level keys) replaced."""
    text = (root / "show.toml").read_text("utf-8")
    for key, value in changes.items():
        lines = text.splitlines()
        text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} =") else line for line in lines) + "\n"
    alt = root / "alt.toml"
    alt.write_text(text, "utf-8")
    return alt


def _build(root: Path, *extra: str) -> dict:
    proc = run_studio(["--show", "alt.toml", "build", SCRIPT, "--engine", "espeak", "--json", "--quiet", *extra],
                      cwd=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_editing_the_show_file_given_with_show_rebuilds(tmp_path: Path):
    root = make_show(tmp_path)
    _alternative(root, title='"另一个节目"')
    first = _build(root)
    assert first["synthesized"] > 0
    again = _build(root)
    assert again["synthesized"] == 0 and again["cached"] == first["items"]
    feed_before = (root / "public" / "feed.xml").read_text("utf-8")
    assert "另一个节目" in feed_before
    _alternative(root, title='"改过的节目"')  # only alt.toml changes; show.toml beside it stays as it was
    _build(root)
    feed_after = (root / "public" / "feed.xml").read_text("utf-8")
    assert "改过的节目" in feed_after and "另一个节目" not in feed_after  # rebuilt from the edited file


def test_a_missing_jingle_the_show_file_names_is_an_error_naming_that_file(tmp_path: Path):
    root = make_show(tmp_path)
    alt = _alternative(root)
    alt.write_text(alt.read_text("utf-8").replace('intro = "assets/intro.mp3"', 'intro = "assets/nope.mp3"'), "utf-8")
    proc = run_studio(["--show", "alt.toml", "build", SCRIPT, "--engine", "espeak"], cwd=root)
    one_line_error(proc, "alt.toml", "'audio.intro'", "nope.mp3")


def test_a_renamed_key_is_read_under_its_new_name_with_a_note(tmp_path: Path, monkeypatch):
    data, found = rename_keys({"site": {"episodes_on_index": 5}, "title": "x"}, {"site.episodes_on_index":
                                                                                 "site.index_episodes"})
    assert data == {"site": {"index_episodes": 5}, "title": "x"} and found == [("site.episodes_on_index",
                                                                                "site.index_episodes")]
    newer, _ = rename_keys({"site": {"episodes_on_index": 5, "index_episodes": 7}},
                           {"site.episodes_on_index": "site.index_episodes"})
    assert newer == {"site": {"index_episodes": 7}}  # a new key already set wins
    root = make_show(tmp_path)
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write("\n[site]\nepisodes_on_index = 5\n")
    monkeypatch.setitem(RENAMED, "site.episodes_on_index", "site.index_episodes")
    show = load_show(root / "show.toml")
    assert show.site.index_episodes == 5
    assert show.notes == [f"{root / 'show.toml'}: key 'site.episodes_on_index' is now 'site.index_episodes' "
                          "(renamed; read as 'site.index_episodes')"]
