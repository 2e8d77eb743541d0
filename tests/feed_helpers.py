"""Helpers for the feed, site and publish tests: episodes in an output dir as a build leaves them."""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from studio.build.showwide import write_site_and_feed
from studio.core.config import Show, load_show
from studio.feed.rules import require_publishable


@functools.cache
def mp3_bytes(seconds: float = 2.0) -> bytes:
    """A real (silent) MP3 made by the bundled ffmpeg."""
    from studio.audio.ffmpeg import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.mp3"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono",
                        "-t", str(seconds), "-b:a", "32k", str(out)], check=True)
        return out.read_bytes()


def add_episode(out: Path, n: int, *, slug: str | None = None, title: str | None = None,
                items: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None,
                audio: bytes | None = None) -> dict[str, Any]:
    """Write episodes/<slug>/episode.mp3 + manifest.json like `studio build` does; returns the manifest."""
    slug = slug or f"ep-{n:03d}"
    ep = Path(out) / "episodes" / slug
    (ep / "clips").mkdir(parents=True, exist_ok=True)
    data = audio if audio is not None else mp3_bytes()
    (ep / "episode.mp3").write_bytes(data)
    day = dt.date(2025, 1, 6) + dt.timedelta(weeks=n)
    items = items if items is not None else [
        {"title": f"Story {n}.{k}", "text": f"Text of story {k} with [a link](https://example.org/{n}/{k}).",
         "speech_text": f"Text {k}", "section": "News" if k < 2 else "Tools",
         "links": [{"url": f"https://example.org/{n}/{k}", "label": f"source {k}"}],
         "start_ms": k * 700.0, "end_ms": k * 700.0 + 600}
        for k in range(3)
    ]
    for k, it in enumerate(items, start=1):
        it.setdefault("n", k)
        it.setdefault("clip", f"clips/{k:03d}-x.mp3")
    m = {
        "schema": 1, "slug": slug, "title": title or f"Episode {n}", "date": day.isoformat(), "number": n,
        "season": None, "summary": f"Summary of episode {n}", "sections": [], "tags": [], "image": None,
        "format": "markdown", "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"test/{slug}")),
        "pub_date": dt.datetime.combine(day, dt.time(6), dt.timezone(dt.timedelta(hours=8))).isoformat(),
        "engine": "espeak",
        "audio": {"file": "episode.mp3", "bytes": len(data), "duration_ms": 2000.0, "sha256": ""},
        "email": {"html": "email.html", "text": "email.txt"}, "items": items,
        **(extra or {}),
    }
    (ep / "manifest.json").write_text(json.dumps(m, ensure_ascii=False), "utf-8")
    return m


def add_side_files(out: Path, slug: str) -> dict[str, Any]:
    """transcript.vtt/.srt and chapters.json plus their manifest keys, as the speech and audio stages add them."""
    ep = Path(out) / "episodes" / slug
    (ep / "transcript.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n你好\n", "utf-8")
    (ep / "transcript.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\n你好\n", "utf-8")
    (ep / "chapters.json").write_text('{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"}]}', "utf-8")
    path = ep / "manifest.json"
    m = json.loads(path.read_text("utf-8"))
    m["transcripts"] = [{"file": "transcript.vtt", "type": "text/vtt"},
                        {"file": "transcript.srt", "type": "application/x-subrip"}]
    m["chapters"] = "chapters.json"
    path.write_text(json.dumps(m, ensure_ascii=False), "utf-8")
    return m


def set_toml(show_dir: Path, **values: Any) -> None:
    """Replace or add top-level keys in show.toml."""
    path = Path(show_dir) / "show.toml"
    lines = path.read_text("utf-8").splitlines()
    for key, value in values.items():
        text = f"{key} = {json.dumps(value, ensure_ascii=False)}" if not isinstance(value, bool) else f"{key} = {str(value).lower()}"
        idx = [i for i, l in enumerate(lines) if l.split("=")[0].strip() == key]
        if idx:
            lines[idx[0]] = text
        else:
            first_table = next((i for i, l in enumerate(lines) if l.startswith("[")), len(lines))
            lines.insert(first_table, text)
    path.write_text("\n".join(lines) + "\n", "utf-8")


def rebuild(show_dir: Path) -> Show:
    """Load the show and run publish_show, what every build ends with."""
    show = load_show(Path(show_dir) / "show.toml")
    write_site_and_feed(show, show.out_dir, require_publishable(show))
    return show
