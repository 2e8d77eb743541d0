"""Synthesize every item of an episode, through the cache."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from studio.config import Show
from studio.errors import SpeechError
from studio.model import Episode
from studio.speech.base import Clip, Engine, VoiceSettings
from studio.speech.cache import ClipCache, cache_key


@dataclass
class SpeechResult:
    clips: list[Clip]
    voices: list[VoiceSettings]
    engine: str
    synthesized: int = 0
    cached: int = 0
    warnings: list[str] = field(default_factory=list)


def pick_engine(name: str) -> tuple[Engine, list[str]]:
    """`auto` = Edge when the service answers, espeak-ng otherwise (with a warning)."""
    from studio.speech.espeak import EspeakEngine

    if name == "espeak":
        return EspeakEngine(), []
    from studio.speech.edge import EdgeEngine, probe_edge

    if name == "edge":
        return EdgeEngine(), []
    problem = probe_edge()
    if problem is None:
        return EdgeEngine(), []
    return EspeakEngine(), [f"Edge TTS unreachable ({problem}); using the offline espeak-ng voice"]


def voice_for(show: Show, episode: Episode, index: int) -> VoiceSettings:
    item = episode.items[index]
    return VoiceSettings(voice=item.voice or episode.meta.get("voice") or show.voice)


def synthesize_episode(
    episode: Episode,
    show: Show,
    engine_name: str,
    cache_dir: Path,
    on_item: Callable[[int, bool], None] | None = None,
) -> SpeechResult:
    engine, warnings = pick_engine(engine_name)
    cache = ClipCache(cache_dir)
    result = SpeechResult(clips=[], voices=[], engine=engine.name, warnings=warnings)

    async def run() -> None:
        for i, item in enumerate(episode.items):
            voice = voice_for(show, episode, i)
            key = cache_key(engine.name, engine.version, voice, item.speech_text)
            clip = cache.get(key)
            hit = clip is not None
            if clip is None:
                try:
                    clip = await engine.synthesize(item.speech_text, voice)
                except SpeechError as e:
                    raise SpeechError(f"item {i + 1} ({item.title!r}): {e.message}", episode.source) from None
                cache.put(key, clip)
                result.synthesized += 1
            else:
                result.cached += 1
            result.clips.append(clip)
            result.voices.append(voice)
            if on_item:
                on_item(i, hit)

    asyncio.run(run())
    return result
