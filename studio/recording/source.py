"""Which recording a script names: front matter `recording = "take1.wav"`, relative to the script.

WAV, FLAC, MP3, M4A/AAC or OGG/Opus (anything the bundled ffmpeg decodes, by these names).
"""

from __future__ import annotations

from pathlib import Path

from studio.core.errors import ScriptError
from studio.core.model import Episode

KEY = "recording"
SUFFIXES = {".wav": "WAV", ".wave": "WAV", ".flac": "FLAC", ".mp3": "MP3", ".m4a": "M4A", ".aac": "AAC",
            ".mp4": "M4A", ".ogg": "OGG", ".oga": "OGG", ".opus": "Opus"}


def recording_for(episode: Episode) -> Path | None:
    """The recording the script names, checked to exist and be of a known kind; None if it names none."""
    value = episode.meta.get(KEY)
    script = episode.source or Path(episode.slug)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ScriptError(f"front matter '{KEY}': must be a file name, got {value!r}", script)
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (script.parent / path).resolve()
    return checked_recording(path, script, f"front matter '{KEY}': ")


def checked_recording(path: Path, where: Path | None = None, prefix: str = "") -> Path:
    """`path` if it is a file of a kind Studio reads as a recording; else a ScriptError naming `where`."""
    if path.suffix.lower() not in SUFFIXES:
        raise ScriptError(f"{prefix}{path.name} is not a WAV, FLAC, MP3, M4A/AAC or OGG/Opus file", where or path)
    if not path.is_file():
        raise ScriptError(f"{prefix}file not found: {path}", where or path)
    return path
