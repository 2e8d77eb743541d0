"""`studio new`: the next script in episodes/, front matter filled in, from a template the show can override."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

from studio.core.config import load_show
from studio.ingest import read_episode
from studio.loop.newscript import slug_for
from tests.conftest import run_studio
from tests.host_loop_support import loop_show, script


def _front(path: Path) -> dict:
    text = path.read_text("utf-8")
    return tomllib.loads(text.split("+++")[1])


def test_new_fills_front_matter_and_builds(tmp_path: Path):
    root = loop_show(tmp_path, {"2026-03-01-a.md": script("上期", "2026-03-01", 7, [("一", "一句话。")])})
    proc = run_studio(["new", "AI 周报：苹果 MM1、Cerebras WSE-3", "--date", "2026-03-08"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    rel = proc.stdout.strip()
    assert rel == "episodes/2026-03-08-ai-zhou-bao-ping-guo-mm1-cerebras-wse-3.md"
    meta = _front(root / rel)
    assert meta == {"title": "AI 周报：苹果 MM1、Cerebras WSE-3", "date": dt.date(2026, 3, 8), "number": 8,
                    "slug": "2026-03-08-ai-zhou-bao-ping-guo-mm1-cerebras-wse-3", "summary": ""}
    episode = read_episode(root / rel)
    assert episode.format in ("markdown", "hugo") and len(episode.items) == 3  # hugo: markdown with +++ front matter
    assert "《AI算力Web3周报》第 8 期" in episode.items[0].text

    built = run_studio(["build", rel, "--engine", "espeak", "--quiet"], cwd=root)
    assert built.returncode == 0, built.stderr
    assert (root / "public" / "episodes" / meta["slug"] / f"{meta['slug']}.mp3").is_file()

    again = run_studio(["new", "AI 周报：苹果 MM1、Cerebras WSE-3", "--date", "2026-03-08"], cwd=root)
    assert again.returncode == 0, again.stderr
    second = _front(root / again.stdout.strip())
    assert second["slug"].endswith("-2") and second["number"] == 9  # never overwrites; numbers go on


def test_new_transcript_and_awkward_titles(tmp_path: Path):
    root = loop_show(tmp_path)
    proc = run_studio(["new", '他说 "你好" \\ 再见', "--format", "transcript", "--date", "2026-01-05"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    path = root / proc.stdout.strip()
    assert path.suffix == ".txt" and _front(path)["title"] == '他说 "你好" \\ 再见'  # TOML-escaped, reads back
    assert _front(path)["number"] == 1 and _front(path)["slug"] == "2026-01-05-ta-shuo-ni-hao-zai-jian"
    episode = read_episode(path)
    assert episode.format == "transcript" and len(episode.items) >= 3

    assert re.fullmatch(r"2026-01-05-[0-9a-f]{6}", slug_for(dt.date(2026, 1, 5), "！？……"))  # no letters: a hash
    assert slug_for(dt.date(2026, 1, 5), "Café Déjà vu") == "2026-01-05-cafe-deja-vu"


def test_the_show_template_wins(tmp_path: Path):
    root = loop_show(tmp_path)
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "new-episode.markdown.j2").write_text(
        "+++\ntitle = {{ title | toml }}\ndate = {{ date }}\nnumber = {{ number }}\nslug = {{ slug | toml }}\n+++\n\n"
        "## 本周导读\n\n{{ show.author }} 的开场白。\n", "utf-8")
    proc = run_studio(["new", "本周", "--date", "2026-02-02"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    text = (root / proc.stdout.strip()).read_text("utf-8")
    assert "## 本周导读" in text and load_show(root / "show.toml").author in text


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path):
    root = loop_show(tmp_path)
    for args, needle in ((["new", "   "], "the title is empty"),
                         (["new", "长" * 300], "the limit is 255"),
                         (["new", "x", "--date", "2026-13-01"], "Invalid value for '--date'")):
        proc = run_studio(args, cwd=root)
        assert proc.returncode != 0 and needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "new-episode.markdown.j2").write_text("{% if %}\n", "utf-8")
    proc = run_studio(["new", "x"], cwd=root)
    assert proc.returncode == 1 and "new-episode.markdown.j2" in proc.stderr and "template error" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert list((root / "episodes").iterdir()) == []


def test_a_fresh_show_uses_the_built_in_templates_until_one_is_copied(tmp_path: Path):
    assert run_studio(["init", "myshow"], cwd=tmp_path).returncode == 0
    root = tmp_path / "myshow"
    assert not (root / "templates").exists()  # copies would hide every later upgrade of the built-in ones
    assert ".studio-subscribers.sqlite" in (root / ".gitignore").read_text("utf-8")
    listed = run_studio(["template", "list"], cwd=root)
    assert listed.returncode == 0 and "new-episode.markdown.j2" in listed.stdout.split()
    copied = run_studio(["template", "copy", "new-episode.markdown"], cwd=root)
    assert copied.returncode == 0, copied.stderr
    assert (root / "templates" / "new-episode.markdown.j2").is_file()
    assert "(overridden" in run_studio(["template", "list"], cwd=root).stdout
    again = run_studio(["template", "copy", "new-episode.markdown.j2"], cwd=root)
    assert again.returncode == 1 and "--force" in again.stderr
    typo = run_studio(["template", "copy", "emial.html.j2"], cwd=root)
    assert typo.returncode == 1 and "did you mean email.html.j2" in typo.stderr
    proc = run_studio(["new", "第二期", "--date", "2026-01-12"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert _front(root / proc.stdout.strip())["number"] == 2  # after the example episode, number 1
