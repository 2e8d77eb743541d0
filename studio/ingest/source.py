"""A script file decoded and split into front matter and body, plus metadata helpers."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.errors import ScriptError
from studio.ingest.decode import read_script_text
from studio.ingest.frontmatter import split_front_matter


@dataclass
class SourceDoc:
    path: Path
    text: str  # whole decoded text
    meta: dict[str, Any]  # front matter ({} when none)
    body: str  # text after the front matter
    body_line: int  # 1-based line where body starts


def load_source(path: Path) -> SourceDoc:
    text = read_script_text(path)
    meta, body, line = split_front_matter(text, path)
    if not body.strip():
        raise ScriptError("the script has front matter but no content", path)
    return SourceDoc(path=path, text=text, meta=meta, body=body, body_line=line)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\u4e00-\u9fff-]+", "-", text).strip("-")
    return re.sub(r"-{2,}", "-", text)[:80] or "episode"


def _as_date(value: Any, path: Path) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ScriptError(f"front matter 'date': not a date (YYYY-MM-DD): {value!r}", path)


def _as_int(meta: dict[str, Any], key: str, path: Path) -> int | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise ScriptError(f"front matter '{key}': must be a whole number, got {value!r}", path)
    return value


def episode_fields(doc: SourceDoc, title_fallback: str = "") -> dict[str, Any]:
    """Episode metadata common to all formats, from front matter and file name."""
    meta, path = doc.meta, doc.path
    title = str(meta.get("title") or title_fallback or path.stem).strip()
    date_value = meta.get("date")
    if date_value is None:
        m = re.search(r"(\d{4})-?(\d{2})-?(\d{2})", path.stem)
        date = dt.date(*map(int, m.groups())) if m else dt.date.fromtimestamp(path.stat().st_mtime)
    else:
        date = _as_date(date_value, path)
    slug = str(meta.get("slug") or slugify(path.stem))
    if not re.fullmatch(r"[\w\u4e00-\u9fff-]+", slug):
        raise ScriptError(f"front matter 'slug': only letters, digits, - and _ allowed: {slug!r}", path)
    tags = meta.get("tags") or []
    return {
        "slug": slug,
        "title": title,
        "date": date,
        "number": _as_int(meta, "number", path) if "number" in meta else _as_int(meta, "episode", path),
        "season": _as_int(meta, "season", path),
        "summary": str(meta.get("summary") or meta.get("description") or "").strip(),
        "tags": [str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
        "image": meta.get("image") or None,
        "meta": meta,
    }
