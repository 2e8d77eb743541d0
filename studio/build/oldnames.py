"""Earlier names of an episode's MP3 keep answering after a rebuild renames it.

An episode published before MP3s were named after their slug has `episode.mp3`; a rebuild
writes `SLUG.mp3` and keeps `episode.mp3` as a second name of the same file, so links in
emails already sent, old show notes and apps holding an older feed still play it. A second
name rather than a redirect: it answers the same in a folder target, under `studio serve`, on
S3 and behind any CDN, where a redirect needs the web server's own configuration or S3's
website endpoint. In the output folder it is a hard link (no extra disk space; a copy where
links are not possible); a target stores it as one more file.
"""

from __future__ import annotations

import contextlib
import os
import shutil

from studio.core.fsutil import atomic_path
from studio.core.layout import EpisodeFiles
from studio.core.manifest import AudioFile, Manifest


def earlier_names(previous: Manifest | None, name: str) -> list[str]:
    """The names the episode's MP3 had in earlier builds (kept for good), other than `name`: MP3 names
    only, so a damaged manifest can never have another of the episode's files replaced by its audio."""
    if previous is None:
        return []
    names = [*previous.audio.aliases, previous.audio.file]
    return sorted({n for n in names if n != name and n.endswith(".mp3") and "/" not in n and not n.startswith(".")})


def keep_earlier_names(files: EpisodeFiles, audio: AudioFile) -> None:
    """Make every alias of `audio` the same file as it (atomically: an old name never answers half a file)."""
    source = files.file(audio.file)
    for alias in audio.aliases:
        dest = files.file(alias)
        with contextlib.suppress(OSError):
            if os.path.samefile(source, dest):
                continue
        with atomic_path(dest) as tmp:
            tmp.unlink()
            try:
                os.link(source, tmp)
            except OSError:  # a file system without hard links
                shutil.copyfile(source, tmp)
