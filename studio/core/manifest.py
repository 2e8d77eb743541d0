"""The episode manifest: what a build made, typed, and the one way to read and write it.

A build writes one `manifest.json` per episode (studio.core.layout says where); the feed,
the site, `studio check`, `send` and `publish` read it back with `read_manifest`, which
refuses a manifest they could not use (`problem` says why, in a few words).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from studio.core.lazy import lazy_pattern
from studio.core.model import Link

SCHEMA_VERSION = 1
_REQUIRED = ("slug", "title", "guid", "pub_date", "audio")
# C0 controls but tab and line breaks, DEL and C1: XML 1.0 and feed readers reject them
XML_FORBIDDEN = lazy_pattern(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class AudioFile:
    file: str
    bytes: int
    duration_ms: float
    sha256: str | None = None
    aliases: list[str] = field(default_factory=list)  # older names of the same file, still answering


def _names(value: Any) -> list[str]:
    """File names in the episode's folder (no path, no dot-file); anything else is dropped."""
    ok = isinstance(value, list)
    return [v for v in value if isinstance(v, str) and v and "/" not in v and not v.startswith(".")] if ok else []


@dataclass
class EmailFiles:
    html: str = "email.html"
    text: str = "email.txt"
    eml: str = "email.eml"


@dataclass
class Transcript:
    file: str
    type: str  # a media type: text/vtt, application/x-subrip


@dataclass
class ManifestItem:
    """An item as built: its text and links, its clip, and where it is in the episode."""

    title: str = ""
    text: str = ""
    speech_text: str = ""
    section: str = ""
    links: list[Link] = field(default_factory=list)
    image: str | None = None
    kind: str = "story"
    voice: str | None = None
    show_heading: bool = True
    n: int = 0
    clip: str = ""  # relative to the episode's folder
    clip_bytes: int = 0
    start_ms: float = 0.0
    end_ms: float = 0.0
    voices: list[str] = field(default_factory=list)
    words: int = 0

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "ManifestItem":
        known = {f.name for f in fields(cls)}
        links = [Link(url=lk.get("url", ""), label=lk.get("label", "")) for lk in d.get("links") or []]
        return cls(**{k: v for k, v in d.items() if k in known and k != "links"}, links=links)


@dataclass
class Manifest:
    """One built episode. Field order is the order of the keys in manifest.json."""

    schema: int = SCHEMA_VERSION
    studio: str = ""  # the Studio version that built it
    slug: str = ""
    title: str = ""
    date: str = ""
    number: int | None = None
    season: int | None = None
    summary: str = ""
    sections: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    format: str = ""
    guid: str = ""
    pub_date: str = ""  # ISO 8601 with its offset
    engine: str = ""
    audio: AudioFile = field(default_factory=lambda: AudioFile("", 0, 0.0))
    email: EmailFiles = field(default_factory=EmailFiles)
    items: list[ManifestItem] = field(default_factory=list)
    section_images: dict[str, str] = field(default_factory=dict)
    loudness: dict[str, Any] = field(default_factory=dict)
    chapters: str | None = None  # the chapters JSON file, relative to the episode's folder
    audio_key: str = ""
    fingerprint: str = ""
    inputs: list[str] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)
    source: str = ""  # the script, relative to the show
    recording: dict[str, Any] | None = None  # a recorded episode: each item's place in the recording (studio.recording)

    @classmethod
    def from_json(cls, data: Any, slug: str | None = None) -> "Manifest":
        """The manifest in `data` (parsed JSON); ManifestError when it is unusable."""
        why = problem(data, slug)
        if why:
            raise ManifestError(why)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        audio = data["audio"]
        values["audio"] = AudioFile(file=audio["file"], bytes=audio["bytes"], duration_ms=float(audio["duration_ms"]),
                                    sha256=audio.get("sha256") if isinstance(audio.get("sha256"), str) else None,
                                    aliases=_names(audio.get("aliases")))
        email = data.get("email") if isinstance(data.get("email"), dict) else {}
        values["email"] = EmailFiles(**{k: v for k, v in email.items() if k in ("html", "text", "eml") and isinstance(v, str)})
        values["items"] = [ManifestItem.from_json(it) for it in data.get("items") or []]
        values["transcripts"] = [Transcript(t["file"], t.get("type") if isinstance(t.get("type"), str) else "")
                                 for t in data.get("transcripts") or [] if isinstance(t, dict) and isinstance(t.get("file"), str)]
        if not isinstance(values.get("chapters"), str) or not values.get("chapters"):
            values["chapters"] = None
        for key in ("section_images", "loudness"):
            if not isinstance(values.get(key), dict):
                values.pop(key, None)
        for key in ("sections", "tags", "inputs"):
            if not isinstance(values.get(key), list):
                values.pop(key, None)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1)

    @property
    def published(self) -> dt.datetime:
        """pub_date as a moment (a manifest written without an offset is taken as UTC)."""
        when = dt.datetime.fromisoformat(self.pub_date)
        return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)

    def existing_transcripts(self, episode_dir: Path) -> list[Transcript]:
        """The transcripts listed with a type whose files exist in `episode_dir`."""
        return [t for t in self.transcripts if t.file and t.type and (Path(episode_dir) / t.file).is_file()]

    def existing_chapters(self, episode_dir: Path) -> str | None:
        """The chapters JSON file name, when it exists in `episode_dir`."""
        return self.chapters if self.chapters and (Path(episode_dir) / self.chapters).is_file() else None


class ManifestError(ValueError):
    """A manifest.json the feed and site cannot use."""


def read_manifest(path: Path) -> tuple[Manifest | None, str | None]:
    """(manifest, None) when usable, else (None, the problem in a few words)."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as e:
        return None, f"cannot read: {e.strerror or e}"
    except (ValueError, RecursionError):
        return None, "not valid JSON (rebuild the episode)"
    try:
        return Manifest.from_json(data, Path(path).parent.name), None
    except ManifestError as e:
        return None, str(e)


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
    return _audio_problem(m["audio"]) or _numbers_problem(m) or _items_problem(m.get("items", [])) or _controls(m)


def _audio_problem(audio: Any) -> str | None:
    if not isinstance(audio, dict) or not isinstance(audio.get("file"), str) or "/" in audio["file"]:
        return "'audio' must be an object with a 'file' name"
    if not _number(audio.get("duration_ms")) or not isinstance(audio.get("bytes"), int):
        return "'audio' needs a numeric 'duration_ms' and 'bytes'"
    return None


def _numbers_problem(m: dict[str, Any]) -> str | None:
    for key in ("number", "season"):
        if m.get(key) is not None and (not isinstance(m[key], int) or isinstance(m[key], bool)):
            return f"'{key}' must be a whole number, got {m[key]!r}"[:200]
    return None


def _items_problem(items: Any) -> str | None:
    if not isinstance(items, list) or not all(isinstance(it, dict) for it in items):
        return "'items' must be a list of objects"
    for n, it in enumerate(items, start=1):
        if not isinstance(it.get("title", ""), str) or ("start_ms" in it and not _number(it["start_ms"])):
            return f"item {n}: 'title' must be a string and 'start_ms' a number"
        links = it.get("links", [])
        if not isinstance(links, list) or not all(isinstance(lk, dict) and isinstance(lk.get("url", ""), str)
                                                  and isinstance(lk.get("label", ""), str) for lk in links):
            return f"item {n}: 'links' must be a list of {{url, label}} objects"
    return None


def _controls(m: dict[str, Any]) -> str | None:
    bad = _control_char(m)
    return f"{bad} contains a control character" if bad else None


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _control_char(value: Any, where: str = "a value") -> str | None:
    """Where the first string with a control character is (strings, keys, nested), or None."""
    if isinstance(value, str):
        return where if XML_FORBIDDEN.search(value) else None
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
