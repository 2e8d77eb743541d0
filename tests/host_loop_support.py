"""Small shows and scripts for the weekly-loop tests (studio new / build / serve --watch / ship)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import make_show


def script(title: str, date: str, number: int, items: list[tuple[str, str]], slug: str | None = None) -> str:
    head = f"+++\ntitle = '{title}'\ndate = {date}\nnumber = {number}\n" + (f"slug = '{slug}'\n" if slug else "")
    return head + "+++\n\n" + "".join(f"## {h}\n\n{body}\n\n" for h, body in items)


def loop_show(dest: Path, scripts: dict[str, str] | None = None) -> Path:
    """The repo's show without its long example episodes, plus `scripts` (name -> text) in episodes/."""
    dest.mkdir(parents=True, exist_ok=True)
    root = make_show(dest)
    shutil.rmtree(root / "episodes")
    (root / "episodes").mkdir()
    for name, text in (scripts or {}).items():
        (root / "episodes" / name).write_text(text, "utf-8")
    return root
