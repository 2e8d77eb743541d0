"""Episode manifests on disk: the single source the feed, site and publisher are built from.

Below build, audio and feed: this module knows the file's name, how to read one
safely and what a usable manifest looks like (`problem`), nothing about rendering.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
_REQUIRED = ("slug", "title", "guid", "pub_date", "audio")
# C0 controls but tab and line breaks, DEL and C1: XML 1.0 and feed readers reject them
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def manifest_path(out_dir: Path, slug: str) -> Path:
    return Path(out_dir) / "episodes" / slug / MANIFEST


def load_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest as a dict, or None when it is missing, unreadable or not a JSON object."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def read_manifest(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(manifest, None) when usable, else (None, the problem in a few words)."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as e:
        return None, f"cannot read: {e.strerror or e}"
    except (ValueError, RecursionError):
        return None, "not valid JSON (rebuild the episode)"
    why = problem(data, Path(path).parent.name)
    return (None, why) if why else (data, None)


def problem(m: Any, slug: str | None = None) -> str | None:
    """What makes `m` unusable for the feed and site, or None (shape, types, dates, control characters)."""
    if not isinstance(m, dict):
        return f"not a JSON object but {type(m).__name__} (rebuild the episode)"
    missing = [k for k in _REQUIRED if k not in m]
    if missing:
        return f"incomplete: no {', '.join(missing)} (rebuild the episode)"
    for key in ("slug", "title", "guid", "pub_date"):
        if not isinstance(m[key], str) or not m[key].strip():
            return f"'{key}' must be a non-empty string, got {m[key]!r}"[:200]
    if slug is not None and m["slug"] != slug:
        return f"'slug' is {m['slug']!r} but the folder is {slug!r}"
    try:
        dt.datetime.fromisoformat(m["pub_date"])
    except ValueError:
        return f"'pub_date' is not an ISO date: {m['pub_date']!r}"[:200]
    audio = m["audio"]
    if not isinstance(audio, dict) or not isinstance(audio.get("file"), str) or "/" in audio["file"]:
        return "'audio' must be an object with a 'file' name"
    if not _number(audio.get("duration_ms")) or not isinstance(audio.get("bytes"), int):
        return "'audio' needs a numeric 'duration_ms' and 'bytes'"
    for key in ("number", "season"):
        if m.get(key) is not None and (not isinstance(m[key], int) or isinstance(m[key], bool)):
            return f"'{key}' must be a whole number, got {m[key]!r}"[:200]
    items = m.get("items", [])
    if not isinstance(items, list) or not all(isinstance(it, dict) for it in items):
        return "'items' must be a list of objects"
    for n, it in enumerate(items, start=1):
        if not isinstance(it.get("title", ""), str) or ("start_ms" in it and not _number(it["start_ms"])):
            return f"item {n}: 'title' must be a string and 'start_ms' a number"
        links = it.get("links", [])
        if not isinstance(links, list) or not all(isinstance(lk, dict) and isinstance(lk.get("url", ""), str)
                                                  for lk in links):
            return f"item {n}: 'links' must be a list of {{url, label}} objects"
    bad = _control_char(m)
    return f"{bad} contains a control character" if bad else None


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _control_char(value: Any, where: str = "a value") -> str | None:
    """Where the first string with a control character is (strings, keys, nested), or None."""
    if isinstance(value, str):
        return where if CONTROL.search(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _control_char(k, f"key {k!r}") or _control_char(v, f"'{k}'")
            if found:
                return found
    elif isinstance(value, list):
        for v in value:
            found = _control_char(v, where)
            if found:
                return found
    return None


def episode_dir(out_dir: Path, m: dict[str, Any]) -> Path:
    return Path(out_dir) / "episodes" / m["slug"]


def transcripts(out_dir: Path, m: dict[str, Any]) -> list[dict[str, str]]:
    """The manifest's transcripts whose files exist: [{"file", "type"}]."""
    listed = m.get("transcripts")
    if not isinstance(listed, list):
        return []
    ep = episode_dir(out_dir, m)
    return [t for t in listed if isinstance(t, dict) and isinstance(t.get("file"), str) and t.get("file")
            and isinstance(t.get("type"), str) and t.get("type") and (ep / t["file"]).is_file()]


def chapters_file(out_dir: Path, m: dict[str, Any]) -> str | None:
    """The manifest's chapters JSON file name, when it exists."""
    name = m.get("chapters")
    if isinstance(name, str) and name and (episode_dir(out_dir, m) / name).is_file():
        return name
    return None
