"""Every path under the output folder, in one place (studio.core.urls gives the same places as URLs).

    OUT/feed.xml, index.html, archive.html, cover.jpg, favicon.png, icon-180.png
    OUT/episodes/SLUG/index.html, transcript.html        the episode's pages
    OUT/episodes/SLUG/SLUG.mp3, clips/NNN-HASH.mp3      its audio: apps keep downloads by file name, so
                                                        each episode's MP3 has its own (`episode.mp3` in
                                                        older builds: kept as a second name, build.oldnames)
    OUT/episodes/SLUG/email.html, email.txt, email.eml  its email edition
    OUT/episodes/SLUG/chapters.json, transcript.vtt, transcript.srt
    OUT/episodes/SLUG/manifest.json                     what the build made (written last)
    OUT/.studio-*                                       Studio's own state: never served or published
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

FEED = "feed.xml"
HOME_PAGE = "index.html"
ARCHIVE_PAGE = "archive.html"
EPISODES = "episodes"
PAGE = "index.html"  # an episode's page, in its folder
TRANSCRIPT_PAGE = "transcript.html"
MANIFEST = "manifest.json"
CLIPS = "clips"
CHAPTERS = "chapters.json"
VTT, SRT = "transcript.vtt", "transcript.srt"
EMAIL_HTML, EMAIL_TEXT, EMAIL_EML = "email.html", "email.txt", "email.eml"
ICONS = {"favicon.png": 32, "icon-180.png": 180}  # the cover, small: tab icon, home screen, email masthead
EMAIL_ICON = "icon-180.png"
MANIFEST_INDEX = ".studio-manifests.json"  # parsed manifests, cached by mtime (studio.feed.index)
SCRIPT_INDEX = ".studio-index.json"  # which script built which slug (studio.build.fingerprint)
STATE_PREFIX = ".studio"  # Studio's own files: never served, never published


def cover_name(cover: str | Path) -> str:
    """The cover's name in the output folder (cover.jpg or cover.png), from the show's cover file."""
    suffix = Path(cover).suffix.lower()
    return "cover" + (".jpg" if suffix in (".jpg", ".jpeg") else suffix)


def episode_rel(slug: str) -> str:
    """An episode's folder relative to the output folder, with a trailing slash (not URL-quoted)."""
    return f"{EPISODES}/{slug}/"


def audio_name(slug: str) -> str:
    """The episode's MP3, in its folder: unique in the show, stable, readable (`2024-03-27-ai-weekly.mp3`)."""
    return f"{slug}.mp3"


def clip_name(n: int, content_hash: str) -> str:
    """An item's clip, relative to the episode's folder: a new name for new audio."""
    return f"{CLIPS}/{n:03d}-{content_hash}.mp3"


@dataclass(frozen=True)
class EpisodeFiles:
    """The files of one episode, under OUT/episodes/SLUG/."""

    dir: Path

    @property
    def slug(self) -> str:
        return self.dir.name

    def file(self, name: str) -> Path:
        return self.dir / name

    @property
    def manifest(self) -> Path:
        return self.dir / MANIFEST

    @property
    def audio(self) -> Path:
        """Where a build writes the MP3 (an older manifest may name another file: use its `audio.file`)."""
        return self.dir / audio_name(self.slug)

    @property
    def clips(self) -> Path:
        return self.dir / CLIPS

    @property
    def chapters(self) -> Path:
        return self.dir / CHAPTERS

    @property
    def page(self) -> Path:
        return self.dir / PAGE

    @property
    def transcript_page(self) -> Path:
        return self.dir / TRANSCRIPT_PAGE

    @property
    def email_html(self) -> Path:
        return self.dir / EMAIL_HTML

    @property
    def email_text(self) -> Path:
        return self.dir / EMAIL_TEXT

    @property
    def email_eml(self) -> Path:
        return self.dir / EMAIL_EML


@dataclass(frozen=True)
class OutputLayout:
    """The output folder of a show (`output_dir`, or `--out`)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def feed(self) -> Path:
        return self.root / FEED

    @property
    def home_page(self) -> Path:
        return self.root / HOME_PAGE

    @property
    def archive_page(self) -> Path:
        return self.root / ARCHIVE_PAGE

    @property
    def episodes(self) -> Path:
        return self.root / EPISODES

    @property
    def manifest_index(self) -> Path:
        return self.root / MANIFEST_INDEX

    @property
    def script_index(self) -> Path:
        return self.root / SCRIPT_INDEX

    def cover(self, show_cover: str | Path) -> Path:
        return self.root / cover_name(show_cover)

    def icon(self, name: str) -> Path:
        return self.root / name

    def episode(self, slug: str) -> EpisodeFiles:
        return EpisodeFiles(self.root / EPISODES / slug)

    def manifests(self) -> Iterator[Path]:
        """Every episode's manifest.json that exists, in no particular order."""
        return self.episodes.glob(f"*/{MANIFEST}")
