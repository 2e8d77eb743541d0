"""Inputs with no upper bound: [limits] checked before synthesis, YAML alias bombs, >255 chapters,
unpunctuated text, NUL bytes anywhere."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import bare_env, one_line_error, run_studio

GOOD_FRONT = 'title = "限"\ndate = 2026-03-02\nslug = "lim"'



def _nothing_synthesized(show_dir: Path) -> None:
    assert not (show_dir / ".studio-cache").exists() and not (show_dir / "public").exists()


def _set_limits(show_dir: Path, **values: int) -> None:
    path = show_dir / "show.toml"
    lines = [l for l in path.read_text("utf-8").splitlines()]
    for key, value in values.items():
        lines = [f"{key} = {value}" if l.split("=")[0].strip() == key else l for l in lines]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def test_show_toml_documents_the_limits():
    from studio.core.config import load_show

    show = load_show(Path(__file__).resolve().parents[1] / "show.toml")
    assert (show.limits.script_kb, show.limits.items, show.limits.item_chars) == (1024, 300, 12000)


def test_limit_settings_are_checked(show_dir: Path):
    _set_limits(show_dir, items=0)
    one_line_error(run_studio(["build", "episodes/x.md"], cwd=show_dir), "show.toml", "'limits.items'")


def test_script_over_the_size_limit_is_refused_before_reading(show_dir: Path):
    _set_limits(show_dir, script_kb=64)
    story = "这是一条很长的新闻内容，" * 20
    body = "".join(f"## 第{n}条\n\n{story}\n\n" for n in range(120))
    (show_dir / "episodes" / "big.md").write_text(f"+++\n{GOOD_FRONT}\n+++\n\n{body}", "utf-8")
    line = one_line_error(run_studio(["build", "episodes/big.md"], cwd=show_dir), "big.md", "over the limit of 64 KiB")
    assert "script_kb" in line
    _nothing_synthesized(show_dir)


def test_too_many_items_are_refused_before_synthesis(show_dir: Path):
    _set_limits(show_dir, items=5)
    body = "".join(f"## 第{n}条\n\n内容{n}。\n\n" for n in range(1, 7))
    (show_dir / "episodes" / "many.md").write_text(f"+++\n{GOOD_FRONT}\n+++\n\n{body}", "utf-8")
    one_line_error(run_studio(["build", "episodes/many.md"], cwd=show_dir), "many.md", "6 items", "limit of 5")
    _nothing_synthesized(show_dir)
    proc = run_studio(["check"], cwd=show_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert any("episodes/many.md" in l and "limit of 5" in l for l in proc.stdout.splitlines()), proc.stdout


def test_unpunctuated_200_kb_item_is_refused_quickly(show_dir: Path):
    text = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(70_000))  # 210 KB, no punctuation
    (show_dir / "episodes" / "long.md").write_text(f"+++\n{GOOD_FRONT}\n+++\n\n## 长条\n\n{text}\n", "utf-8")
    _set_limits(show_dir, script_kb=4096)
    start = time.monotonic()
    line = one_line_error(run_studio(["build", "episodes/long.md"], cwd=show_dir), "long.md", "item 1", "characters, over the limit of 12,000")
    assert "item_chars" in line and time.monotonic() - start < 30
    _nothing_synthesized(show_dir)


def test_unpunctuated_text_is_split_at_a_fixed_length():
    from studio.ingest.sentences import MAX_SENTENCE, split_sentences

    text = "".join(chr(0x4E00 + n % 500) for n in range(100_000))
    start = time.process_time()
    sentences = split_sentences(text, 10)
    assert time.process_time() - start < 2
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE
    assert "".join(s.text for s in sentences) == text
    assert all(text[s.start - 10 : s.end - 10] == s.text for s in sentences)
    words = " ".join(["word"] * 20_000)  # spaces but no punctuation: cut at a space
    pieces = split_sentences(words)
    assert max(len(s.text) for s in pieces) <= MAX_SENTENCE and all(not s.text.endswith("wor") for s in pieces)


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: the bomb would take it all


def test_yaml_alias_bomb_is_refused(show_dir: Path):
    lines = ["---", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["title: *a9", "date: 2026-03-02", "---", "", "## 第一条", "", "内容。", ""]
    (show_dir / "episodes" / "bomb.md").write_text("\n".join(lines), "utf-8")
    assert (show_dir / "episodes" / "bomb.md").stat().st_size < 700
    proc = subprocess.run([sys.executable, "-m", "studio", "build", "episodes/bomb.md", "--engine", "espeak"],
                          cwd=show_dir, env=bare_env(), capture_output=True, text=True, timeout=60,
                          preexec_fn=_limit_memory)
    one_line_error(proc, "bomb.md", "YAML", "alias")
    _nothing_synthesized(show_dir)


def test_yaml_with_many_aliases_is_refused(show_dir: Path):
    from studio.core.errors import ScriptError
    from studio.ingest import read_episode

    aliases = ", ".join(["*x"] * 150)
    path = show_dir / "episodes" / "aliases.md"
    path.write_text(f"---\ntitle: t\nx: &x 1\nlist: [{aliases}]\n---\n\n## 一\n\n内容。\n", "utf-8")
    with pytest.raises(ScriptError, match="more than 100 aliases"):
        read_episode(path)
    path.write_text("---\ntitle: t\nx: &x [1, 2]\ny: *x\n---\n\n## 一\n\n内容。\n", "utf-8")
    assert read_episode(path).meta["y"] == [1, 2]  # a few aliases are fine


@pytest.mark.parametrize("front", ["+++\na = " + "[" * 3000 + "]" * 3000 + "\n+++",
                                   "---\na: " + "[" * 3000 + "]" * 3000 + "\n---"])
def test_deeply_nested_front_matter_is_one_line(show_dir: Path, front: str):
    (show_dir / "episodes" / "deep.md").write_text(f"{front}\n\n## 一\n\n内容。\n", "utf-8")
    one_line_error(run_studio(["items", "episodes/deep.md"], cwd=show_dir), "deep.md", "nested too deeply")


@pytest.mark.parametrize("where", [100, 9000, 200_000])
def test_nul_byte_anywhere_is_rejected(show_dir: Path, where: int):
    filler = "这是一段正常的内容。" * 10000
    text = f"+++\n{GOOD_FRONT}\n+++\n\n## 第一条\n\n{filler}\n"
    raw = text.encode("utf-8")
    raw = raw[:where] + b"\x00" + raw[where:]
    (show_dir / "episodes" / "nul.md").write_bytes(raw)
    one_line_error(run_studio(["items", "episodes/nul.md"], cwd=show_dir), "nul.md", "binary data")
    one_line_error(run_studio(["build", "episodes/nul.md"], cwd=show_dir), "nul.md", "binary data")
    _nothing_synthesized(show_dir)


def test_more_than_255_chapters_are_tagged_with_nested_tables_of_contents(tmp_path: Path):
    from mutagen.id3 import ID3, CTOCFlags

    from studio.audio.tags import Chapter, EpisodeTags, read_chapters, write_tags
    from tests.feed_helpers import mp3_bytes

    path = tmp_path / "episode.mp3"
    path.write_bytes(mp3_bytes(1.0))
    chapters = [Chapter(n * 3, n * 3 + 3, f"第{n}条", f"https://example.org/{n}") for n in range(600)]
    write_tags(path, EpisodeTags(title="t", artist="a", album="s", date="2026-03-02", chapters=chapters))
    id3 = ID3(path)
    tocs = {f.element_id: f for f in id3.getall("CTOC")}
    (top,) = [f for f in tocs.values() if f.flags & CTOCFlags.TOP_LEVEL]
    assert all(len(f.child_element_ids) <= 255 for f in tocs.values())
    flat = [c for t in top.child_element_ids for c in tocs[t].child_element_ids]
    chaps = {f.element_id: f for f in id3.getall("CHAP")}
    assert [chaps[c].start_time for c in flat] == [n * 3 for n in range(600)]
    assert read_chapters(path) == chapters
    few = chapters[:255]  # up to 255: one flat table, as before
    write_tags(path, EpisodeTags(title="t", artist="a", album="s", date="2026-03-02", chapters=few))
    (toc,) = ID3(path).getall("CTOC")
    assert len(toc.child_element_ids) == 255 and read_chapters(path) == few
