"""The first `serve --watch` of a show (issue 27.5): the last builds are served at once — for a
script the preview never built, the one `studio build` made in output_dir — while every script is
rebuilt in the background, newest first; a script never built at all shows its email draft at once.
output_dir is only read. A setting nothing is built from ([smtp]) rebuilds nothing."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_studio
from tests.host_loop_support import get, loop_show, script, status_of, wait_for, watch_server

OLD = [("第一条", "上一期的新闻。"), ("第二条", "上一期的第二条。")]
NEW = [(f"第{n}条", f"这一期的第{n}条新闻，内容稍长一点，要读一会儿。") for n in range(1, 9)]


def files_of(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def test_first_watch_serves_the_last_builds_at_once_and_rebuilds_newest_first(tmp_path: Path):
    root = loop_show(tmp_path / "show", {"a.md": script("上期", "2026-03-01", 1, OLD, slug="old"),
                                         "b.md": script("本期", "2026-03-08", 2, NEW, slug="new")})
    built = run_studio(["build", "episodes/a.md"], cwd=root)  # what `make demo` does: one episode in public/
    assert built.returncode == 0, built.stderr
    public = files_of(root / "public")

    with watch_server(root, tmp_path / "stderr.txt") as (port, proc, lines):
        # before anything is rebuilt: the last build of a.md is served, b.md's email is a draft
        status, page = get(port, "/episodes/old/")
        first = status_of(port)["episodes"]
        assert status == 200 and "上一期的新闻" in page, page[:300]
        assert first["episodes/a.md"] == {"status": "queued", "slug": "old", "at": first["episodes/a.md"]["at"]}
        assert "queued: its last build meanwhile" in get(port, "/__studio/")[1]

        def drafted():
            """b.md's email drafted"""
            return get(port, "/__studio/email/new/")[0] == 200

        wait_for(drafted)
        assert 'id="draft"' in get(port, "/__studio/email/new/")[1] and "这一期的第1条新闻" in get(port, "/__studio/email/new/")[1]

        def both():
            """both rebuilt"""
            eps = status_of(port)["episodes"]
            return all(eps[k]["status"] in ("built", "up to date") for k in ("episodes/a.md", "episodes/b.md"))

        wait_for(both)
        assert lines[0].startswith("· until rebuilt, the last builds from public/: old"), lines
        order = [line for line in lines if line.startswith(("✓ ", "· episodes/"))]
        assert order[0].startswith("✓ episodes/b.md") and "episodes/a.md" in order[1], lines  # newest first
        assert 'id="draft"' not in get(port, "/__studio/email/new/")[1]  # the built email replaced the draft
        assert get(port, "/episodes/new/")[0] == 200

        # a setting nothing is built from: no rebuild at all
        generation = status_of(port)["generation"]
        toml = root / "show.toml"
        toml.write_text(toml.read_text("utf-8") + '\n[smtp]\nhost = "127.0.0.1"\nport = 2525\n', "utf-8")

        def looked():
            """both looked at again"""
            eps = status_of(port)["episodes"]
            return status_of(port)["generation"] >= generation + 2 and all(
                eps[k]["status"] == "up to date" for k in ("episodes/a.md", "episodes/b.md"))

        wait_for(looked)
    assert files_of(root / "public") == public  # output_dir only read
