"""`studio new "TITLE"`: the next episode script, from a template the show can override.

The slug is the date plus the title in ASCII: Chinese characters become pinyin
syllables (pypinyin), accents are dropped, and a title with no letters at all
gets a short hash, e.g. 2026-03-02-ai-zhou-bao or 2026-03-02-3f9a1c.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path

from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.fsutil import atomic_write_text
from studio.feed.index import load_index
from studio.ingest.scripts import episode_scripts, front_matter
from studio.present.templating import environment
from studio.recording.source import KEY, checked_recording

TEMPLATE = "new-episode.{fmt}.j2"
SUFFIX = {"markdown": ".md", "transcript": ".txt"}
TITLE_MAX = 255  # Apple Podcasts' title limit
SLUG_WORDS_MAX = 50  # characters of title words after the date


def slug_for(date: dt.date, title: str) -> str:
    from pypinyin import lazy_pinyin  # lazy: pypinyin's tables take ~1 s to import; only `studio new` needs them

    text = " ".join(lazy_pinyin(title))  # Han characters -> pinyin syllables, the rest as is
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    kept: list[str] = []
    for word in re.findall(r"[a-z0-9]+", text):  # anything else (、 ： spaces) separates words
        if sum(len(w) + 1 for w in kept) + len(word) > SLUG_WORDS_MAX:
            break
        kept.append(word)
    tail = "-".join(kept) or hashlib.sha256(title.encode()).hexdigest()[:6]
    return f"{date.isoformat()}-{tail}"


def next_number(show: Show) -> int:
    """One more than the highest episode number in episodes/ and the output dir."""
    numbers = [front_matter(p).get("number") for p in episode_scripts(show)]
    if show.out_dir.is_dir():
        numbers += [m.number for m in load_index(show.out_dir).manifests]
    return max((n for n in numbers if isinstance(n, int) and not isinstance(n, bool)), default=0) + 1


def _used_slugs(show: Show) -> set[str]:
    return {str(front_matter(p).get("slug") or p.stem) for p in episode_scripts(show)}


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def new_script(show: Show, title: str, date: dt.date | None = None, fmt: str = "markdown",
               recording: Path | None = None) -> Path:
    """Write episodes/<slug>.md (or .txt) and return its path; never overwrites a file. With
    `recording` (the host's reading of it), the front matter names it, relative to the script."""
    title = " ".join(title.split())
    if not title:
        raise StudioError("the title is empty")
    if len(title) > TITLE_MAX:
        raise StudioError(f"the title is {len(title)} characters, the limit is {TITLE_MAX}")
    if fmt not in SUFFIX:
        raise StudioError(f"unknown format {fmt!r} (choose from {', '.join(SUFFIX)})")
    date = date or dt.date.today()
    base = slug = slug_for(date, title)
    used, n = _used_slugs(show), 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    path = show.episodes_dir / f"{slug}{SUFFIX[fmt]}"
    if path.exists():
        raise StudioError("already exists; give another title or --date", path)
    import jinja2  # lazy: jinja2 loads only when a template is rendered

    env = environment(show)
    env.filters["toml"] = _toml_string
    name = TEMPLATE.format(fmt=fmt)
    try:
        text = env.get_template(name).render(show=show, title=title, date=date.isoformat(),
                                             number=next_number(show), slug=slug)
    except jinja2.TemplateNotFound:
        raise StudioError(f"template {name} not found", show.path("templates")) from None
    except jinja2.TemplateError as e:
        where = getattr(e, "filename", None) or show.path("templates") / name
        raise StudioError(f"template error: {e.message}", where, getattr(e, "lineno", None)) from None
    if recording is not None:
        named = os.path.relpath(checked_recording(Path(recording).resolve()), path.parent.resolve())
        text = with_key(text, KEY, named, path)
    atomic_write_text(path, text)
    return path


def with_key(text: str, key: str, value: str, path: Path) -> str:
    """`text` with `key = value` added at the end of its front matter (TOML +++ or YAML ---)."""
    lines = text.split("\n")
    opening = next((n for n, line in enumerate(lines) if line.strip()), None)
    fence = lines[opening].strip() if opening is not None else ""
    closing = next((n for n in range(opening + 1, len(lines)) if lines[n].strip() == fence), None) \
        if fence in ("+++", "---") else None
    if closing is None:
        raise StudioError("the new-episode template has no front matter to name the recording in", path)
    line = f"{key} = {_toml_string(value)}" if fence == "+++" else f"{key}: {_toml_string(value)}"
    return "\n".join(lines[:closing] + [line] + lines[closing:])
