"""User-facing errors: one line naming the file and the problem."""

from __future__ import annotations

from pathlib import Path


class StudioError(Exception):
    """An error the user can fix; printed as one line, exit status 1."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class ConfigError(StudioError):
    """show.toml (or another config file) is missing, malformed or invalid."""


class ScriptError(StudioError):
    """An episode script cannot be read or is empty."""


class SpeechError(StudioError):
    """Speech synthesis failed for an item."""


class AudioError(StudioError):
    """Decoding, mixing or encoding audio failed."""
