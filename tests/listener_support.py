"""What listeners' software reads from a built episode: chapters as ffmpeg and eyeD3 list them,
and the podcast clients (gPodder's `gpo`, podcast-downloader) run against a loopback feed only."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.audio.ffmpeg import ffmpeg_exe

_CHAPTER = re.compile(r"^\s*Chapter #\d+:\d+: start (-?[\d.]+), end (-?[\d.]+)\s*$")
_TITLE = re.compile(r"^\s*title\s*: (.*)$")


@dataclass
class Listed:
    """A chapter as a reader lists it, in the reader's order: seconds, and its title."""

    start: float
    end: float
    title: str


def ffmpeg_chapters(mp3: Path) -> list[Listed]:
    """The chapters in the order ffmpeg (the imageio-ffmpeg binary) lists them: what players built on it show."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(mp3)],
                          capture_output=True, text=True, timeout=60)
    out: list[Listed] = []
    in_chapter = False
    for line in proc.stderr.splitlines():
        if m := _CHAPTER.match(line):
            out.append(Listed(float(m.group(1)), float(m.group(2)), ""))
            in_chapter = True
        elif in_chapter and (t := _TITLE.match(line)) and not out[-1].title:
            out[-1].title = t.group(1).strip()
        elif line.strip().startswith(("Stream #", "Duration:")):
            in_chapter = False
    return out


def eyed3_chapters(mp3: Path) -> tuple[list[Listed], int | None]:
    """The chapters in the order eyeD3 reads them from the tag, and the tag's TLEN (ms)."""
    import eyed3  # lazy: a test-only reader, loaded by the tests that use it

    eyed3.log.setLevel("ERROR")
    tag = eyed3.load(str(mp3)).tag
    chapters = [Listed(c.times.start / 1000, c.times.end / 1000, c.title or "") for c in tag.chapters]
    tlen = tag.getTextFrame(b"TLEN")
    return chapters, int(tlen) if tlen else None


def client_missing() -> str | None:
    """Why the real podcast clients cannot run here, or None."""
    if shutil.which("gpo") is None:
        return "gPodder's `gpo` is missing: install Debian's gpodder (apt-get install gpodder)"
    if importlib.util.find_spec("podcast_downloader") is None:
        return "podcast-downloader is not installed (pip install -e '.[test]')"
    return None


def require_clients() -> None:
    """Skip without the clients locally; in CI (`CI` set) they must be there."""
    why = client_missing()
    if why and os.environ.get("CI"):
        pytest.fail(f"the podcast client tests must run in CI: {why}")
    if why:
        pytest.skip(why)


def loopback_only_env(home: Path) -> dict[str, str]:
    """An environment for a client that can reach this machine only: its own HOME, and every
    proxy variable pointing at a closed loopback port, except for 127.0.0.1 and localhost."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and not k.startswith("STUDIO_")}
    dead = "http://127.0.0.1:9"
    env.update(HOME=str(home), http_proxy=dead, https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead,
               ftp_proxy=dead, all_proxy=dead, ALL_PROXY=dead, no_proxy="127.0.0.1,localhost",
               NO_PROXY="127.0.0.1,localhost")
    return env
