"""The scripts in a show's episodes/ folder, and their dates without a full parse."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.fsutil import leads_out
from studio.core.lazy import lazy_pattern
from studio.ingest.decode import read_script_text
from studio.ingest.formats import SCRIPT_SUFFIXES
from studio.ingest.frontmatter import split_front_matter

_DATE_IN_NAME = lazy_pattern(r"(\d{4})-?(\d{2})-?(\d{2})")


def episode_scripts(show: Show, skipped: list[Path] | None = None) -> list[Path]:
    """Every script in episodes/ (hidden files and other suffixes left out), by name. A link leading
    outside the show is never a script: it is left out, and added to `skipped` when given."""
    folder = show.episodes_dir
    if not folder.is_dir():
        return []
    found = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in SCRIPT_SUFFIXES or p.name.startswith("."):
            continue
        if leads_out(p, show.root):
            if skipped is not None:
                skipped.append(p)
        elif p.is_file():
            found.append(p)
    return found


def outside_warning(show: Show, path: Path) -> str:
    """The warning for a script in episodes/ that leads outside the show."""
    return f"{path.relative_to(show.root).as_posix()}: a link leading outside the show; skipped (never read)"


def front_matter(path: Path) -> dict[str, Any]:
    """The script's front matter ({} when it has none or it cannot be read)."""
    try:
        return split_front_matter(read_script_text(path), path)[0]
    except StudioError:
        return {}


def script_date(path: Path) -> dt.date:
    """The front matter's date, else a date in the file name, else the file's mtime."""
    value = front_matter(path).get("date") or _date_line(path)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for text in (str(value or ""), path.stem):
        m = _DATE_IN_NAME.search(text)
        if m:
            try:
                return dt.date(*map(int, m.groups()))
            except ValueError:
                pass
    try:
        return dt.date.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return dt.date.max


def _date_line(path: Path) -> str | None:
    """A `date = ...` / `date: ...` line near the top, for a script whose front matter does not parse."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r"^date\s*[=:]\s*[\"']?(\d{4}-\d{2}-\d{2})", head, re.M)
    return m.group(1) if m else None


def in_date_order(scripts: list[Path]) -> list[Path]:
    return sorted(scripts, key=lambda p: (script_date(p), p.name))
