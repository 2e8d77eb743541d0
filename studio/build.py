"""studio build: script -> Episode -> speech -> audio -> email -> manifest -> feed + site.

Everything for an episode is rendered before anything in the output dir is
replaced, and each file is replaced atomically; the manifest is written last,
then the feed and index are rebuilt from all manifests under a lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio import __version__, urls
from studio.config import Show
from studio.errors import StudioError
from studio.feed.manifests import MANIFEST, load_all, load_manifest, manifest_path
from studio.fsutil import atomic_path, atomic_write_bytes, atomic_write_text, locked, remove_stale_temps
from studio.ingest import read_episode
from studio.model import Episode
from studio.progress import Reporter


@dataclass
class BuildResult:
    episode: str
    out: Path
    audio: Path
    email_html: Path
    feed: Path
    duration_ms: float
    items: int
    synthesized: int
    cached: int
    engine: str
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "episode": self.episode,
            "out": str(self.out),
            "audio": str(self.audio),
            "email_html": str(self.email_html),
            "feed": str(self.feed),
            "duration_ms": round(self.duration_ms),
            "items": self.items,
            "synthesized": self.synthesized,
            "cached": self.cached,
            "engine": self.engine,
            "warnings": self.warnings,
        }


def check_assets(show: Show) -> Path:
    cover = show.path(show.cover)
    if not cover.is_file():
        raise StudioError(f"key 'cover': file not found: {cover}", show.root / "show.toml")
    return cover


def build_episode(
    script: Path,
    show: Show,
    out_dir: Path | None = None,
    engine: str | None = None,
    reporter: Reporter | None = None,
) -> BuildResult:
    reporter = reporter or Reporter(quiet=True)
    cover = check_assets(show)
    episode = read_episode(script)
    from studio.audio.settings import episode_audio

    episode_audio(show, episode)  # jingle files and per-episode [audio] checked before synthesis
    out = Path(out_dir) if out_dir else show.out_dir
    ep_dir = out / "episodes" / episode.slug
    reporter.info(f"[bold]{episode.title}[/] — {len(episode.items)} items ({episode.format})")

    from studio.speech.synthesize import synthesize_episode

    with reporter.task("Synthesizing", len(episode.items)) as t:
        speech = synthesize_episode(
            episode, show, engine or show.speech.engine, show.path(show.speech.cache_dir),
            on_item=lambda i, hit: t.advance(description=f"{'cached' if hit else 'spoke'} {i + 1}"),
        )
    for w in speech.warnings:
        reporter.warn(w)

    from studio.audio.render import render_audio

    reporter.info("Mixing and encoding audio")
    ep_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(ep_dir)
    audio = render_audio(episode, speech.clips, show, ep_dir, cover)

    previous = load_manifest(ep_dir / MANIFEST) or {}
    manifest = make_manifest(show, episode, audio, speech.engine, previous)
    context = page_context(show, manifest)

    from studio.email.render import render_email
    from studio.feed.site import render_episode_page

    email = render_email(show, context)
    atomic_write_text(ep_dir / "email.html", email.html)
    atomic_write_text(ep_dir / "email.txt", email.text)
    atomic_write_text(ep_dir / "index.html", render_episode_page(show, context))
    atomic_write_text(ep_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    prune_clips(ep_dir, manifest)

    feed_path = publish_show(show, out, cover)
    reporter.info(f"Built [bold]{ep_dir}[/] ({audio.duration_ms / 1000:.1f} s)")
    return BuildResult(
        episode=episode.slug,
        out=ep_dir,
        audio=ep_dir / "episode.mp3",
        email_html=ep_dir / "email.html",
        feed=feed_path,
        duration_ms=audio.duration_ms,
        items=len(episode.items),
        synthesized=speech.synthesized,
        cached=speech.cached,
        engine=speech.engine,
        warnings=speech.warnings,
    )


def make_manifest(show: Show, episode: Episode, audio, engine: str, previous: dict[str, Any]) -> dict[str, Any]:
    guid = previous.get("guid") or str(uuid.uuid5(uuid.NAMESPACE_URL, urls.episode_page(show, episode.slug)))
    pub_date = episode.meta.get("pub_date") or dt.datetime.combine(
        episode.date, dt.time(6, 0), dt.timezone(dt.timedelta(hours=8))
    ).isoformat()
    data = episode.to_dict()
    items = data.pop("items")
    for n, (item, placed) in enumerate(zip(items, audio.items), start=1):
        item.update(n=n, **placed)
    return {
        "schema": 1,
        "studio": __version__,
        **data,
        "guid": guid,
        "pub_date": str(pub_date),
        "engine": engine,
        "audio": {
            "file": "episode.mp3",
            "bytes": audio.bytes,
            "duration_ms": round(audio.duration_ms, 1),
            "sha256": audio.sha256,
        },
        "email": {"html": "email.html", "text": "email.txt"},
        "items": items,
        "loudness": audio.loudness,
        "chapters": audio.chapters_file,
        "audio_key": audio.key,
    }


def page_context(show: Show, manifest: dict[str, Any]) -> dict[str, Any]:
    slug = manifest["slug"]
    page = urls.episode_page(show, slug)
    episode = dict(
        manifest,
        page_url=page,
        audio_url=urls.episode_file(show, slug, manifest["audio"]["file"]),
        duration_ms=manifest["audio"]["duration_ms"],
    )
    items = [
        dict(
            it,
            page_url=f"{page}#t={it['start_ms'] / 1000:.1f}",
            clip_url=urls.episode_file(show, slug, it["clip"]),
        )
        for it in manifest["items"]
    ]
    return {"show": show, "episode": episode, "items": items, "feed_url": urls.feed(show)}


def prune_clips(ep_dir: Path, manifest: dict[str, Any]) -> None:
    keep = {it["clip"] for it in manifest["items"]}
    for p in (ep_dir / "clips").glob("*"):
        if f"clips/{p.name}" not in keep:
            p.unlink(missing_ok=True)


def publish_show(show: Show, out: Path, cover: Path) -> Path:
    """Rebuild feed.xml and index.html from every manifest in `out`."""
    from studio.feed.rss import build_feed_xml
    from studio.feed.site import render_index

    with locked(out):
        manifests = load_all(out)
        cover_out = out / ("cover" + cover.suffix)
        if not cover_out.is_file() or cover_out.read_bytes() != cover.read_bytes():
            with atomic_path(cover_out) as tmp:
                shutil.copyfile(cover, tmp)
        feed = out / "feed.xml"
        atomic_write_bytes(feed, build_feed_xml(show, manifests))
        atomic_write_text(out / "index.html", render_index(show, manifests))
    return feed


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
