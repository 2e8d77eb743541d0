"""The audio settings of one episode: show.toml's [audio], overridden by the script's front matter."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from studio.core.config import AudioConfig, Show, load_section
from studio.core.errors import ConfigError
from studio.core.model import Episode

JINGLES = ("intro", "outro", "stinger")
DEFAULTS = AudioConfig()


@dataclass
class AudioSettings:
    config: AudioConfig
    intro: Path | None
    outro: Path | None
    stinger: Path | None


def episode_audio(show: Show, episode: Episode) -> AudioSettings:
    """Merge an episode's `audio` front-matter table over show.toml and resolve the jingle files.

    A jingle path set in show.toml or the front matter must exist (one-line error naming the
    key); the built-in defaults (assets/intro.mp3, assets/outro.mp3), when show.toml does not
    name them, are skipped if absent (a show made before Studio shipped jingles).
    """
    config = show.audio
    override = episode.meta.get("audio")
    script = episode.source or Path(str(episode.slug))
    if override is not None:
        if not isinstance(override, dict):
            raise ConfigError("front matter key 'audio': must be a table of audio settings", script)
        merged = {**dataclasses.asdict(config), **override}
        config = load_section(AudioConfig, merged, script, "audio.")  # every key's declared checks
    paths: dict[str, Path | None] = {}
    for key in JINGLES:
        value = getattr(config, key).strip()
        from_episode = override is not None and key in override
        origin = script if from_episode else show.file
        if not value:
            paths[key] = None
            continue
        path = show.path(value)
        if not path.is_file():
            if not from_episode and f"audio.{key}" not in show.set_keys and value == getattr(DEFAULTS, key):
                paths[key] = None  # an older show without the shipped jingles
                continue
            raise ConfigError(f"key 'audio.{key}': file not found: {path}", origin)
        paths[key] = path
    return AudioSettings(config=config, **paths)
