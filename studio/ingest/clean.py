"""Every value a script gives an episode, made safe before it reaches a manifest.

Control characters (an ESC colour code pasted from a terminal, U+0001, NUL) are
stripped from all text and front matter values; bidirectional embedding, override
and isolate controls (U+202A-U+202E, U+2066-U+2069: "Trojan Source" spoofing, a
title that reads backwards) from titles and section names; `pub_date` must be a
real date and time.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from studio.core.errors import ScriptError
from studio.core.lazy import lazy_pattern
from studio.core.model import Episode

# terminal escape sequences first (so "\x1b[31m" leaves nothing behind), then single control characters
_ANSI = lazy_pattern(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = lazy_pattern(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = lazy_pattern("[\u202a-\u202e\u2066-\u2069]")


def clean_title(text: str) -> str:
    """A title or section name without control characters or bidi overrides (it shows as written)."""
    return _BIDI.sub("", clean_text(text))


def clean_text(text: str) -> str:
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", _ANSI.sub("", text))


def _clean(obj: Any) -> None:
    """Clean every str (and list of str) field of a dataclass in place (only changed values are set)."""
    for name in _field_names(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, str):
            if _CONTROL.search(value):
                setattr(obj, name, clean_text(value))
        elif isinstance(value, list) and value and isinstance(value[0], str):
            setattr(obj, name, [clean_text(v) if isinstance(v, str) else v for v in value])


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def clean_episode(episode: Episode, path: Path) -> Episode:
    """Strip control characters from every text of `episode` and check its pub_date (in place)."""
    _clean(episode)
    episode.title = clean_title(episode.title)
    for item in episode.items:
        _clean(item)
        item.title, item.section = clean_title(item.title), clean_title(item.section)
        for link in item.links:
            _clean(link)
    episode.meta = _clean_value(episode.meta)  # jingle paths, voice names, ...
    if episode.meta.get("pub_date") not in (None, ""):
        episode.meta["pub_date"] = pub_date(episode.meta["pub_date"], path)
    return episode


def _clean_value(value: Any) -> Any:
    """Front matter values with every string cleaned (its size is bounded by the YAML limits)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: _clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    return value


def pub_date(value: Any, path: Path) -> str:
    """An ISO 8601 date and time from TOML/YAML datetimes, ISO strings or RFC 822 dates; a date alone stays one."""
    when: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        return value.isoformat()  # a date alone: the build adds the show's publish_time (studio.core.pubdate)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                when = None
    if when is None:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:59] + "…"
        raise ScriptError(f"front matter 'pub_date': not a date and time "
                          f"(e.g. 2026-01-05T06:00:00+08:00): {clean_text(shown)}", path)
    return when.isoformat()


