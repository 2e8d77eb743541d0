"""studio build: script -> Episode -> speech -> audio -> email -> manifest -> feed + site.

Everything for an episode is rendered before anything in the output folder is
replaced, and each file is replaced atomically; the manifest is written last,
then the feed and site are rebuilt from all manifests under a lock.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from studio import __version__
from studio.audio.mastering import episode_mastering
from studio.audio.render import AudioResult, render_audio
from studio.audio.settings import episode_audio
from studio.build.fingerprint import OUTPUTS, build_fingerprint, stale_outputs, with_inputs
from studio.build.oldnames import earlier_names, keep_earlier_names
from studio.build.showwide import write_site_and_feed
from studio.core import urls
from studio.core.config import Show
from studio.core.diskfull import writing_into
from studio.core.errors import StudioError
from studio.core.fsutil import atomic_write_bytes, atomic_write_text, leads_out, locked, remove_stale_temps
from studio.core.layout import EpisodeFiles, OutputLayout
from studio.core.manifest import AudioFile, Manifest, ManifestError, ManifestItem, Transcript, read_manifest
from studio.core.model import Episode
from studio.core.progress import Reporter, length_text
from studio.core.pubdate import published_at
from studio.email.context import email_context
from studio.email.message import built_eml
from studio.email.render import render_email
from studio.feed.rules import require_publishable, require_valid_episode, source_key
from studio.ingest import read_episode
from studio.ingest.assist import use_assist
from studio.ingest.limits import check_episode_limits, check_script_size
from studio.recording.source import recording_for
from studio.recording.speech import recorded_speech
from studio.speech.display import SpeechDisplay
from studio.speech.engines import check_engine_settings
from studio.speech.synthesize import Speech, synthesize_episode
from studio.speech.transcript import TRANSCRIPTS, timing_note, write_transcripts


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
    built: bool = True  # False: it was up to date, nothing was written
    rerendered: list[str] = field(default_factory=list)  # only these outputs were made again ("email", "pages")

    @classmethod
    def from_manifest(cls, m: Manifest, out: Path) -> "BuildResult":
        layout = OutputLayout(out)
        files = layout.episode(m.slug)
        return cls(
            episode=m.slug, out=files.dir, audio=files.file(m.audio.file), email_html=files.file(m.email.html),
            feed=layout.feed, duration_ms=m.audio.duration_ms, items=len(m.items),
            synthesized=0, cached=len(m.items), engine=m.engine, built=False,
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
            "rerendered": self.rerendered,
            **({"recording": self.recording} if self.recording is not None else {}),
        }


def build_episode(script: Path, show: Show, out_dir: Path | None = None, **options: Any) -> BuildResult:
    """Build one script into OUT/episodes/SLUG/, then the feed and site (options: engine, reporter, force,
    fmt, jobs). Unchanged scripts take no time; a full disk is one error naming the output folder."""
    with writing_into(Path(out_dir) if out_dir else show.out_dir):
        return _build_episode(script, show, out_dir, **options)


def _build_episode(
    script: Path,
    show: Show,
    out_dir: Path | None = None,
    engine: str | None = None,
    reporter: Reporter | None = None,
    force: bool = False,
    fmt: str | None = None,
    jobs: int | None = None,
) -> BuildResult:
    started = time.monotonic()
    reporter = reporter or Reporter(quiet=True)
    check_engine_settings(show)
    out = Path(out_dir) if out_dir else show.out_dir
    if leads_out(script, show.root):  # a link in the show to a file elsewhere is never read
        raise StudioError("a link leading outside the show: not built (copy the script into the show)", script)
    check_script_size(script, show.limits)  # before reading it at all
    fingerprint = build_fingerprint(script, show, {"engine": engine or show.speech.engine, "format": fmt})
    found = None if force else stale_outputs(script, out, fingerprint, show)  # per output: audio, email, pages
    if found and not found[1]:  # the cover and settings are those the last build checked: in the fingerprint
        reporter.info(f"{found[0].title}: up to date")
        clean_after_kill(out, found[0].slug)
        return BuildResult.from_manifest(found[0], out)
    cover = require_publishable(show)  # base_url (https) and the cover art
    if found and "audio" not in found[1]:  # a setting or template of the email or the pages: the audio stays
        return _rerender(script, show, out, cover, found[0], fingerprint, found[1], reporter)

    with use_assist(show.assist, show.path(show.assist.cache_dir), reporter.warn):
        episode = read_episode(script, fmt)
    check_episode_limits(episode, show.limits, script)
    require_valid_episode(show, episode, script, out)
    settings = episode_audio(show, episode)  # jingle files and per-episode [audio] checked before synthesis
    recording = recording_for(episode)  # front matter `recording`: checked before anything is spoken
    inputs = [source_key(show, p) for p in (settings.intro, settings.outro, settings.stinger, recording) if p]
    files = OutputLayout(out).episode(episode.slug)
    reporter.info(f"[bold]{episode.title}[/] — {len(episode.items)} items ({episode.format})")

    mastering = episode_mastering(show, episode, settings)  # decodes each clip as it arrives, encodes ahead
    if recording is not None:  # the host's own voice: the recording cut into item clips by alignment
        speech = _recorded(episode, show, recording, settings, reporter, mastering)
    else:
        speech = _speak(episode, show, engine, jobs, reporter, mastering)
    files.dir.mkdir(parents=True, exist_ok=True)
    with mastering, locked(files.dir):  # one build writes an episode at a time
        require_valid_episode(show, episode, script, out)  # again, under the lock: a same-slug build may have landed
        remove_stale_temps(files.dir)
        with reporter.task("Mastering and encoding", len(episode.items), time_left=True) as task:
            audio = render_audio(episode, speech.clips, show, files.dir, cover, mastering=mastering, on_item=task.advance)
        write_transcripts(files.dir, speech.clips, [it["start_ms"] for it in audio.items])
        reporter.info(timing_note(speech.clips))
        previous = read_manifest(files.manifest)[0]  # keeps its GUID
        manifest = make_manifest(show, episode, audio, speech, previous)
        manifest.fingerprint = with_inputs(fingerprint, show, inputs)
        manifest.inputs = inputs  # files the script named: a no-op rebuild checks them too
        manifest.source = source_key(show, script)  # tells a duplicate slug from a rebuild
        manifest.recording = getattr(speech, "recording", None)  # each item's place in the recording, confidence
        _check_writable(manifest, script)
        keep_earlier_names(files, manifest.audio)  # links in sent emails and older feeds keep playing
        _write_email(show, manifest, files, reporter, len(episode.items))
        atomic_write_text(files.manifest, manifest.dumps())

    feed = write_site_and_feed(show, out, cover, remember=(script, episode.slug), warn=reporter.warn)
    with locked(files.dir):  # only once no page or feed links the old clips
        prune_clips(files, read_manifest(files.manifest)[0] or manifest)
    reporter.info(f"Built [bold]{files.dir}[/] in {time.monotonic() - started:.1f} s: the episode is "
                  f"{length_text(audio.duration_ms)} long")
    return BuildResult(
        episode=episode.slug, out=files.dir, audio=files.file(manifest.audio.file), email_html=files.email_html,
        feed=feed, duration_ms=audio.duration_ms, items=len(episode.items), synthesized=speech.synthesized,
        cached=speech.cached, engine=speech.engine, warnings=speech.warnings, retried=speech.retried,
        failed=speech.failed, mastering=audio.work, recording=getattr(speech, "recording", None),
    )


def _rerender(script: Path, show: Show, out: Path, cover: Path, manifest: Manifest, fingerprint: str,
              stale: set[str], reporter: Reporter) -> BuildResult:
    """The email and/or the pages of a build whose audio is current, from its manifest: no speech, no audio."""
    files = OutputLayout(out).episode(manifest.slug)
    with locked(files.dir):
        remove_stale_temps(files.dir)
        if "email" in stale:
            _write_email(show, manifest, files, reporter, len(manifest.items))
        manifest.fingerprint = with_inputs(fingerprint, show, manifest.inputs)
        atomic_write_text(files.manifest, manifest.dumps())
    write_site_and_feed(show, out, cover, remember=(script, manifest.slug), warn=reporter.warn)
    done = [k for k in OUTPUTS if k in stale]
    reporter.info(f"{manifest.title}: the audio is up to date; {' and '.join(done)} rendered again")
    return replace(BuildResult.from_manifest(manifest, out), built=True, rerendered=done)


def _speak(episode: Episode, show: Show, engine: str | None, jobs: int | None, reporter: Reporter, mastering) -> Speech:
    """Every item's clip; each is handed to the audio stage the moment it is complete."""
    mastering.ahead(every_item_sounds=True)  # a voice's clip always has audio (silence for nothing to say)
    try:
        with SpeechDisplay.open(reporter, len(episode.items)) as display:
            speech = synthesize_episode(
                episode, show, engine or show.speech.engine, show.path(show.speech.cache_dir),
                jobs=jobs, progress=display, warn=reporter.warn, on_clip=lambda i, clip: mastering.clip(i, clip.audio),
            )
    except BaseException:
        mastering.close()
        raise
    reporter.info(f"Speech ({speech.engine}): {speech.synthesized} synthesized, {speech.cached} cached, "
                  f"{speech.retried} retried, {speech.failed} failed")
    return speech


def _recorded(episode: Episode, show: Show, recording: Path, settings, reporter: Reporter, mastering) -> Speech:
    """The host's recording cut into one clip per item by aligning the script with it."""
    mastering.ahead()
    try:
        return recorded_speech(episode, show, recording, settings, reporter)
    except BaseException:
        mastering.close()
        raise


def _check_writable(manifest: Manifest, script: Path) -> None:
    """Never write a manifest the feed cannot use."""
    try:
        Manifest.from_json(manifest.to_json(), manifest.slug)
    except ManifestError as e:
        raise StudioError(f"the episode's manifest would be unusable: {e}", script) from None


def _write_email(show: Show, manifest: Manifest, files: EpisodeFiles, reporter: Reporter, items: int) -> None:
    email = render_email(show, email_context(show, manifest))  # CSS inlined, sized to stay under email.max_html_kb
    if not show.site_url.startswith("https://"):
        reporter.warn("base_url is not https: the email's links to the episode are http, which mail clients flag")
    if email.shortened:
        reporter.warn(f"the email was over {show.email.max_html_kb} KB: it shows the first "
                      f"{email.items_shown} of {items} items in full and a button to the web version")
    atomic_write_text(files.email_html, email.html)
    atomic_write_text(files.email_text, email.text)
    atomic_write_bytes(files.email_eml, built_eml(show, manifest, email.subject, email.text, email.html))


def make_manifest(show: Show, episode: Episode, audio: AudioResult, speech: Speech,
                  previous: Manifest | None) -> Manifest:
    guid = (previous.guid if previous else "") or str(uuid.uuid5(uuid.NAMESPACE_URL, urls.episode_page(show, episode.slug)))
    pub_date = published_at(episode.date, show.timezone, show.publish_time, episode.meta.get("pub_date")).isoformat()
    data = episode.to_dict()
    data.pop("items")
    items = [ManifestItem(**item.to_dict(), n=n, **placed, voices=voices,
                          words=sum(b.kind == "word" for b in clip.boundaries))
             for n, (item, placed, voices, clip) in enumerate(zip(episode.items, audio.items, speech.voices, speech.clips), 1)]
    return Manifest(
        studio=__version__, **data, guid=guid, pub_date=str(pub_date), engine=speech.engine,
        audio=AudioFile(file=audio.file, bytes=audio.bytes, duration_ms=round(audio.duration_ms, 1), sha256=audio.sha256,
                        aliases=earlier_names(previous, audio.file)),
        items=items, section_images=episode.meta.get("section_images") or {}, loudness=audio.loudness,
        chapters=audio.chapters_file, audio_key=audio.key, transcripts=[Transcript(**t) for t in TRANSCRIPTS],
    )


def prune_clips(files: EpisodeFiles, manifest: Manifest) -> None:
    keep = {it.clip for it in manifest.items}
    for p in files.clips.glob("*"):
        if f"{files.clips.name}/{p.name}" not in keep:
            p.unlink(missing_ok=True)


def clean_after_kill(out: Path, slug: str) -> None:
    """Remove temp files a killed build left in the output folder."""
    with locked(OutputLayout(out).episode(slug).dir):
        remove_stale_temps(OutputLayout(out).episode(slug).dir)
    with locked(out):
        remove_stale_temps(out, recursive=False)
