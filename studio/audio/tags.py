"""ID3 tags behind a small API (mutagen, ID3v2.3)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import APIC, COMM, ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK


@dataclass
class EpisodeTags:
    title: str
    artist: str
    album: str
    date: str
    track: int | None = None
    description: str = ""
    cover: Path | None = None


def write_tags(path: Path, tags: EpisodeTags) -> None:
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TDRC(encoding=3, text=tags.date))
    id3.add(TCON(encoding=3, text="Podcast"))
    if tags.track is not None:
        id3.add(TRCK(encoding=3, text=str(tags.track)))
    if tags.description:
        id3.add(COMM(encoding=3, lang="chi", desc="", text=tags.description))
    if tags.cover and tags.cover.is_file():
        mime = "image/png" if tags.cover.suffix.lower() == ".png" else "image/jpeg"
        id3.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=tags.cover.read_bytes()))
    id3.save(path, v2_version=3)


def read_tags(path: Path) -> dict[str, str]:
    id3 = ID3(path)
    return {key: str(frame) for key, frame in id3.items() if not key.startswith("APIC")}
