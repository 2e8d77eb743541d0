"""Bad input: one clear line naming the file, non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_studio


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")} if root.exists() else set()


def test_malformed_show_toml(show_dir: Path):
    (show_dir / "show.toml").write_text('title = "x\ndescription = 1\n', "utf-8")
    proc = run_studio(["build", "episodes/2024-03-27-ai-newsletter.md"], cwd=show_dir)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "show.toml:1" in lines[0] and "Traceback" not in proc.stderr
    assert not (show_dir / "public").exists()


def test_wrong_field_in_show_toml(show_dir: Path):
    text = (show_dir / "show.toml").read_text("utf-8").replace("explicit = false", 'explicit = "maybe"')
    (show_dir / "show.toml").write_text(text, "utf-8")
    proc = run_studio(["build", "episodes/2024-03-27-ai-newsletter.md"], cwd=show_dir)
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert "show.toml" in line and "'explicit'" in line and "true or false" in line


def test_missing_field_in_show_toml(show_dir: Path):
    text = "\n".join(l for l in (show_dir / "show.toml").read_text("utf-8").splitlines() if not l.startswith("author"))
    (show_dir / "show.toml").write_text(text, "utf-8")
    proc = run_studio(["build", "episodes/2024-03-27-ai-newsletter.md"], cwd=show_dir)
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert "show.toml" in line and "'author'" in line and "missing" in line


def test_empty_episode_writes_nothing(show_dir: Path):
    (show_dir / "episodes" / "empty.md").write_text("", "utf-8")
    before = _files(show_dir)
    proc = run_studio(["build", "episodes/empty.md"], cwd=show_dir)
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert "empty.md" in line and "empty" in line
    assert _files(show_dir) == before


def test_front_matter_only_episode(show_dir: Path):
    (show_dir / "episodes" / "fm.md").write_text("+++\ntitle = 'x'\n+++\n\n", "utf-8")
    proc = run_studio(["build", "episodes/fm.md"], cwd=show_dir)
    assert proc.returncode != 0 and "fm.md" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_cover_is_named(show_dir: Path):
    (show_dir / "assets" / "cover.jpg").unlink()
    proc = run_studio(["build", "episodes/2024-03-27-ai-newsletter.md"], cwd=show_dir)
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert "cover" in line and "not found" in line
    assert not (show_dir / "public").exists()


def test_missing_episode_file(show_dir: Path):
    proc = run_studio(["build", "episodes/nope.md"], cwd=show_dir)
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert "nope.md" in line and "not found" in line


def test_init_scaffolds_a_show_that_builds(tmp_path: Path):
    proc = run_studio(["init", "newshow"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "newshow"
    proc = run_studio(["build", "episodes/2026-01-05-first.md", "--engine", "espeak", "--json"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert (root / "public" / "feed.xml").is_file()


def test_help_explains_every_command(tmp_path: Path):
    proc = run_studio(["--help"], cwd=tmp_path)
    assert proc.returncode == 0 and "build" in proc.stdout and "init" in proc.stdout
    for cmd in ("build", "init"):
        proc = run_studio([cmd, "--help"], cwd=tmp_path)
        assert proc.returncode == 0 and len(proc.stdout.splitlines()) > 4
