"""[limits] from show.toml: a script's size, item count and item length, checked before synthesis."""

from __future__ import annotations

from pathlib import Path

from studio.core.config import LimitsConfig
from studio.core.errors import ScriptError
from studio.core.model import Episode


def check_script_size(path: Path, limits: LimitsConfig) -> None:
    """Refuse a script file over limits.script_kb before reading it."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        return  # reading it names the problem
    if size > limits.script_kb * 1024:
        raise ScriptError(f"the script is {size / 1024:,.0f} KiB, over the limit of {limits.script_kb:,} KiB "
                          "(raise [limits] script_kb in show.toml)", path)


def check_episode_limits(episode: Episode, limits: LimitsConfig, path: Path) -> None:
    """Refuse an episode with more items, or longer items, than show.toml's [limits] allow."""
    if len(episode.items) > limits.items:
        raise ScriptError(f"{len(episode.items):,} items, over the limit of {limits.items:,} "
                          "(raise [limits] items in show.toml)", path)
    for n, item in enumerate(episode.items, start=1):
        chars = max(len(item.text), len(item.speech_text))
        if chars > limits.item_chars:
            title = item.title[:40] + ("…" if len(item.title) > 40 else "")
            raise ScriptError(f"item {n} ({title!r}) is {chars:,} characters, over the limit of "
                              f"{limits.item_chars:,} (split it, or raise [limits] item_chars in show.toml)", path)
