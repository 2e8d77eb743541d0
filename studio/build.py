"""studio build: script -> Episode -> speech -> audio -> email -> manifest -> feed + site.

Everything for an episode is rendered before anything in the output dir is
replaced, and each file is replaced atomically; the manifest is written last,
then the feed and index are rebuilt from all manifests under a lock.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from studio import __version__, urls
from studio.config import Show
from studio.errors import StudioError
from studio.fingerprint import build_fingerprint, remember_slug, up_to_date, with_inputs
from studio.manifest import MANIFEST, problem, read_manifest
from studio.fsutil import atomic_path, atomic_write_bytes, atomic_write_text, locked, remove_stale_temps
from studio.model import Episode
from studio.progress import Reporter
from studio.recording.source import recording_for
from studio.recording.speech import recorded_speech


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
    retried: int = 0
    failed: int = 0
    mastering: dict[str, int] = field(default_factory=dict)  # studio.audio.render's work counters
    recording: dict[str, Any] | None = None  # a recorded episode's alignment (studio.recording)

    @classmethod
    def from_manifest(cls, m: dict[str, Any], out: Path) -> "BuildResult":
        ep_dir = Path(out) / "episodes" / m["slug"]
        return cls(
            episode=m["slug"], out=ep_dir, audio=ep_dir / m["audio"]["file"],
            email_html=ep_dir / m["email"]["html"], feed=Path(out) / "feed.xml",
            duration_ms=m["audio"]["duration_ms"], items=len(m["items"]),
            synthesized=0, cached=len(m["items"]), engine=m.get("engine", ""),
        )

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
            "retried": self.retried,
            "failed": self.failed,
            "engine": self.engine,
            "warnings": self.warnings,
            "mastering": self.mastering,
            **({"recording": self.recording} if self.recording is not None else {}),
        }


def check_assets(show: Show) -> Path:
    """The cover path, once base_url (https) and the cover art pass the publishing rules."""
    from studio.feed.rules import require_publishable

    return require_publishable(show)


def build_episode(
    script: Path,
    show: Show,
    out_dir: Path | None = None,
    engine: str | None = None,
    reporter: Reporter | None = None,
    force: bool = False,
    fmt: str | None = None,
    jobs: int | None = None,
) -> BuildResult:
    reporter = reporter or Reporter(quiet=True)
    cover = check_assets(show)
    out = Path(out_dir) if out_dir else show.out_dir
    from studio.ingest.limits import check_episode_limits, check_script_size

    check_script_size(script, show.limits)  # before reading it at all
    fingerprint = build_fingerprint(script, show, {"engine": engine or show.speech.engine, "format": fmt})
    if not force and (current := up_to_date(script, out, fingerprint, show)):
        reporter.info(f"{current['title']}: up to date")
        clean_after_kill(out, out / "episodes" / current["slug"])
        return BuildResult.from_manifest(current, out)
    from studio.assist import use_assist
    from studio.ingest import read_episode

    with use_assist(show.assist, show.path(show.assist.cache_dir), reporter.warn):
        episode = read_episode(script, fmt)
    check_episode_limits(episode, show.limits, script)

    from studio.feed.rules import require_valid_episode, source_key

    require_valid_episode(show, episode, script, out)
    from studio.audio.settings import episode_audio

    settings = episode_audio(show, episode)  # jingle files and per-episode [audio] checked before synthesis
    recording = recording_for(episode)  # front matter `recording`: checked before anything is spoken
    inputs = [source_key(show, p) for p in (settings.intro, settings.outro, settings.stinger, recording) if p]
    ep_dir = out / "episodes" / episode.slug
    reporter.info(f"[bold]{episode.title}[/] — {len(episode.items)} items ({episode.format})")

    from studio.speech.display import SpeechDisplay
    from studio.speech.synthesize import synthesize_episode

    from studio.audio.mastering import episode_mastering

    mastering = episode_mastering(show, episode, settings)  # decodes each clip as it arrives, encodes ahead
    mastering.ahead()
    try:
        if recording is not None:  # the host's own voice: the recording cut into item clips by alignment
            speech = recorded_speech(episode, show, recording, settings, reporter)
        else:
            with SpeechDisplay.open(reporter, len(episode.items)) as display:
                speech = synthesize_episode(
                    episode, show, engine or show.speech.engine, show.path(show.speech.cache_dir), jobs=jobs,
                    progress=display, warn=reporter.warn, on_clip=lambda i, clip: mastering.clip(i, clip.audio),
                )
    except BaseException:
        mastering.close()
        raise
    if recording is None:
        reporter.info(
            f"Speech ({speech.engine}): {speech.synthesized} synthesized, {speech.cached} cached, "
            f"{speech.retried} retried, {speech.failed} failed"
        )

    from studio.audio.render import render_audio

    ep_dir.mkdir(parents=True, exist_ok=True)
    with mastering, locked(ep_dir):  # one build writes an episode at a time
        require_valid_episode(show, episode, script, out)  # again, under the lock: a same-slug build may have landed
        remove_stale_temps(ep_dir)
        with reporter.task("Mastering and encoding", len(episode.items), time_left=True) as task:
            audio = render_audio(episode, speech.clips, show, ep_dir, cover, mastering=mastering, on_item=task.advance)

        from studio.speech.transcript import TRANSCRIPTS, timing_note, write_transcripts

        write_transcripts(ep_dir, speech.clips, [it["start_ms"] for it in audio.items])
        reporter.info(timing_note(speech.clips))
        previous = read_manifest(ep_dir / MANIFEST)[0] or {}  # keeps its GUID when usable
        manifest = make_manifest(show, episode, audio, speech.engine, previous)
        manifest["fingerprint"] = with_inputs(fingerprint, show, inputs)
        manifest["inputs"] = inputs  # files the script named: a no-op rebuild checks them too
        manifest["transcripts"] = TRANSCRIPTS
        for item, voices, clip in zip(manifest["items"], speech.voices, speech.clips):
            item.update(voices=voices, words=sum(b.kind == "word" for b in clip.boundaries))
        manifest["source"] = source_key(show, script)  # tells a duplicate slug from a rebuild
        if recording is not None:
            manifest["recording"] = speech.recording  # each item's place in the recording, with a confidence
        if why := problem(manifest, episode.slug):  # never write a manifest the feed cannot use
            raise StudioError(f"the episode's manifest would be unusable: {why}", script)
        context = page_context(show, manifest)

        from studio.email.message import built_eml
        from studio.email.render import render_email

        email = render_email(show, context)  # CSS inlined, sized to stay under email.max_html_kb
        if not show.site_url.startswith("https://"):
            reporter.warn("base_url is not https: the email's links to the episode are http, which mail clients flag")
        if email.excerpt is not None:
            reporter.warn(f"the email was over {show.email.max_html_kb} KB: it shows excerpts of "
                          f"{email.items_shown} of {len(episode.items)} items (the web version has them all)")
        atomic_write_text(ep_dir / "email.html", email.html)
        atomic_write_text(ep_dir / "email.txt", email.text)
        atomic_write_bytes(ep_dir / "email.eml", built_eml(show, manifest, email.subject, email.text, email.html))
        atomic_write_text(ep_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))

    feed_path = publish_show(show, out, cover, remember=(script, episode.slug), warn=reporter.warn)
    with locked(ep_dir):  # only once no page or feed links the old clips
        prune_clips(ep_dir, read_manifest(ep_dir / MANIFEST)[0] or manifest)
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
        retried=speech.retried,
        failed=speech.failed,
        mastering=audio.work,
        recording=getattr(speech, "recording", None),
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
        "email": {"html": "email.html", "text": "email.txt", "eml": "email.eml"},
        "items": items,
        "section_images": episode.meta.get("section_images") or {},
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
        audio_url=urls.audio(show, slug, manifest["audio"]["file"], manifest["audio"].get("sha256")),
        duration_ms=manifest["audio"]["duration_ms"],
    )
    items = [
        dict(
            it,
            page_url=f"{page}#t={it['start_ms'] / 1000:.1f}",
            clip_url=urls.media_file(show, slug, it["clip"]),
        )
        for it in manifest["items"]
    ]
    return {"show": show, "episode": episode, "items": items, "feed_url": urls.feed(show)}


def prune_clips(ep_dir: Path, manifest: dict[str, Any]) -> None:
    keep = {it["clip"] for it in manifest["items"]}
    for p in (ep_dir / "clips").glob("*"):
        if f"clips/{p.name}" not in keep:
            p.unlink(missing_ok=True)


def clean_after_kill(out: Path, ep_dir: Path) -> None:
    """Remove temp files a killed build left in the output dir."""
    with locked(ep_dir):
        remove_stale_temps(ep_dir)
    with locked(out):
        remove_stale_temps(out, recursive=False)


def publish_show(show: Show, out: Path, cover: Path, remember: tuple[Path, str] | None = None,
                 warn: Callable[[str], None] | None = None) -> Path:
    """Rebuild the site and feed.xml from every manifest in `out` (never edits the old feed).

    Episode pages are re-rendered when older than their manifest or side files;
    feed.xml is written last. A manifest that is unusable or cannot be rendered
    is left out with a warning naming it: one bad episode never stops the others.
    """
    from studio.feed.index import load_index
    from studio.feed.rss import cover_name
    from studio.memory import gc_paused

    with locked(out), gc_paused():
        remove_stale_temps(out, recursive=False)
        if remember:
            remember_slug(out, *remember)
        index = load_index(out)  # compact manifests, cached by manifest mtime
        manifests, skipped = index.episodes, list(index.skipped)
        try:
            pages = _render_site(show, manifests, out)
        except Exception:  # noqa: BLE001 - find the episode that breaks it, leave it out
            from studio.feed.check import render_failures

            failed = render_failures(show, manifests, out)
            if not failed:
                raise
            skipped += [(out / "episodes" / m["slug"] / MANIFEST, why) for m, why in failed]
            manifests = [m for m in manifests if all(m is not f for f, _ in failed)]
            pages = _render_site(show, manifests, out)
        for path, why in skipped:
            if warn:
                warn(f"{path}: left out of the feed and site: {why}")
        cover_out = out / cover_name(show)
        if not cover_out.is_file() or cover_out.read_bytes() != cover.read_bytes():
            with atomic_path(cover_out) as tmp:
                shutil.copyfile(cover, tmp)
        from studio.feed.site import write_icons

        write_icons(cover, out)
        index_html, archive_html, feed_xml = pages
        atomic_write_text(out / "index.html", index_html)
        atomic_write_text(out / "archive.html", archive_html)
        feed = out / "feed.xml"
        atomic_write_bytes(feed, feed_xml)
    return feed


def _render_site(show: Show, manifests: list[dict[str, Any]], out: Path) -> tuple[str, str, bytes]:
    """Write stale episode pages; return index.html, archive.html and feed.xml, rendered."""
    from studio.feed.rss import build_feed_xml
    from studio.feed.site import render_archive, render_index, write_episode_pages

    write_episode_pages(show, manifests, out)
    return render_index(show, manifests), render_archive(show, manifests), build_feed_xml(show, manifests, out)
