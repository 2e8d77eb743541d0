"""A rebuild with nothing changed writes nothing; any input change rebuilds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_studio

EPISODE = "+++\ntitle = '小测'\ndate = 2026-03-01\nnumber = 3\nslug = 'small'\n+++\n\n## 第一条\n\n一句话。\n\n## 第二条\n\n又一句话。\n"


def _state(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*")
            if p.is_file() and p.name != ".studio.lock"}


def _build(root: Path, *extra: str) -> dict:
    proc = run_studio(["build", "episodes/small.md", "--engine", "espeak", "--json", *extra], cwd=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_noop_rebuild_touches_nothing_and_changes_rebuild(show_dir: Path):
    (show_dir / "episodes" / "small.md").write_text(EPISODE, "utf-8")
    _build(show_dir)
    out = show_dir / "public"
    before = _state(out)

    again = _build(show_dir)
    assert again["synthesized"] == 0 and _state(out) == before  # nothing rewritten

    assert run_studio(["template", "copy", "email.txt.j2"], cwd=show_dir).returncode == 0
    template = show_dir / "templates" / "email.txt.j2"
    template.write_text(template.read_text("utf-8") + "\n-- 模板已改 --\n", "utf-8")
    _build(show_dir)
    assert "模板已改" in (out / "episodes" / "small" / "email.txt").read_text("utf-8")

    forced = _build(show_dir, "--force")
    assert forced["synthesized"] == 0 and forced["cached"] == 2  # --force rebuilds from the clip cache


def test_a_noop_rebuild_loads_only_what_building_needs(show_dir: Path):
    """`studio build` imports no sending, subscribers or publishing code and compiles none of the script
    readers' patterns when nothing changed: that is what kept a no-op rebuild above 0.3 s."""
    (show_dir / "episodes" / "small.md").write_text(EPISODE, "utf-8")
    _build(show_dir)
    probe = (
        "import re, sys\n"
        "from studio.cli import cli\n"
        "try:\n    cli(['build', 'episodes/small.md', '--engine', 'espeak', '--quiet'], prog_name='studio')\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('studio.send', 'studio.subscribers', 'studio.mail',"
        " 'studio.publish', 'studio.preview', 'studio.cli.mail', 'studio.cli.subscribers')))\n"
        "ingest = [(n, m) for n, m in list(sys.modules.items()) if n.startswith('studio.ingest')]\n"
        "compiled = [f'{n}.{k}' for n, m in ingest for k, v in vars(m).items() if isinstance(v, re.Pattern)]\n"
        "print(loaded, compiled)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=show_dir, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[] []", proc.stdout


def test_a_cover_replaced_after_a_build_is_checked_again(show_dir: Path):
    """A no-op rebuild skips the cover check because the cover is in the fingerprint: a new one is checked."""
    from PIL import Image

    (show_dir / "episodes" / "small.md").write_text(EPISODE, "utf-8")
    _build(show_dir)
    Image.new("RGB", (800, 600), (200, 30, 30)).save(show_dir / "assets" / "cover.jpg", "JPEG")
    proc = run_studio(["build", "episodes/small.md", "--engine", "espeak"], cwd=show_dir)
    assert proc.returncode == 1 and "must be square" in proc.stderr, proc.stderr
