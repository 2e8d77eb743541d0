"""Optional LLM assist: an OpenAI-compatible chat model proposes story boundaries and titles.

Off by default (`[assist] enabled = true` in show.toml switches it on). Studio
validates every answer and falls back to its own segmenter, with a warning, on
any failure. `use_assist` makes the settings visible to the transcript reader.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from studio.core.config import AssistConfig


@dataclass
class AssistContext:
    config: AssistConfig
    cache_dir: Path
    warn: Callable[[str], None]


_CURRENT: ContextVar[AssistContext | None] = ContextVar("studio_assist", default=None)


def current() -> AssistContext | None:
    ctx = _CURRENT.get()
    return ctx if ctx is not None and ctx.config.enabled else None


@contextmanager
def use_assist(config: AssistConfig | None, cache_dir: Path, warn: Callable[[str], None]) -> Iterator[None]:
    token = _CURRENT.set(AssistContext(config, Path(cache_dir), warn) if config is not None else None)
    try:
        yield
    finally:
        _CURRENT.reset(token)
