"""Voice names: the bundled Edge list, the live list, validation and suggestions."""

from __future__ import annotations

import asyncio
import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from studio.core.errors import ConfigError, StudioError
from studio.core.fsutil import atomic_write_text
from studio.speech.azure import azure_problem, fetch_azure_voices
from studio.speech.edge import edge_error, point_edge_tts_at_endpoint
from studio.speech.espeak import espeak_voices
from studio.speech.openai_api import openai_voices
from studio.speech.reach import connector_cause

BUNDLED = Path(__file__).with_name("edge_voices.json")
LIVE_CACHE = "edge-voices.json"  # the last live list, kept in the clip cache dir
AZURE_CACHE = "azure-voices.json"  # the last Azure list: its voices pass validation too
KEYS = ("ShortName", "Locale", "Gender", "FriendlyName")


@cache
def bundled_voices() -> tuple[dict[str, str], ...]:
    return tuple(json.loads(BUNDLED.read_text("utf-8")))


def known_voices(cache_dir: Path | None = None) -> dict[str, dict[str, str]]:
    """Bundled voices plus the last live list fetched into `cache_dir` (if any)."""
    voices = {v["ShortName"]: v for v in bundled_voices()}
    for name in (LIVE_CACHE, AZURE_CACHE) if cache_dir is not None else ():
        try:
            live = json.loads((Path(cache_dir) / name).read_text("utf-8"))
            voices.update({v["ShortName"]: v for v in live if isinstance(v, dict) and "ShortName" in v})
        except (OSError, ValueError, TypeError):
            pass
    return voices


def service_voices(engine: str, show, cache_dir: Path | None) -> list[dict[str, str]]:
    """azure: the resource's list (remembered, so builds accept its voices); openai: the voice map."""
    if engine == "openai":
        return openai_voices(show.speech.openai)
    problem = azure_problem(show.speech.azure)
    if problem:
        raise ConfigError(f"engine azure: {problem}", show.file)
    try:
        found = fetch_azure_voices(show.speech.azure)
    except (OSError, ValueError) as e:
        raise StudioError(f"Azure voice list not reachable: {e}") from None
    save_live_voices(found, cache_dir, AZURE_CACHE)
    return found


def fetch_live_voices(timeout: float = 5.0) -> list[dict[str, Any]]:
    """The service's voice list (edge_tts.list_voices), honouring STUDIO_EDGE_VOICES_URL."""
    point_edge_tts_at_endpoint()
    import edge_tts  # lazy: edge-tts (and aiohttp) take ~0.3 s to import, only a live list needs them

    async def fetch() -> list[dict[str, Any]]:
        return await asyncio.wait_for(edge_tts.list_voices(), timeout)

    data = asyncio.run(fetch())
    return [{k: v.get(k, "") for k in KEYS} for v in data]


def save_live_voices(voices: list[dict[str, Any]], cache_dir: Path | None, name: str = LIVE_CACHE) -> None:
    """Remember the live list so builds accept voices newer than the bundled list."""
    if cache_dir is None:
        return
    try:
        atomic_write_text(Path(cache_dir) / name, json.dumps(voices, ensure_ascii=False))
    except OSError:
        pass


def filter_by_lang(voices: list[dict[str, Any]], lang: str | None) -> list[dict[str, Any]]:
    if not lang:
        return voices
    lang = lang.lower()

    def speaks(v: dict[str, Any]) -> bool:
        return any(loc.lower() == lang or loc.lower().startswith(lang + "-") for loc in v.get("Languages") or [v["Locale"]])

    return [v for v in voices if speaks(v)]


def suggest(name: str, names: list[str], n: int = 3) -> list[str]:
    exact_ci = [v for v in names if v.lower() == name.lower()]
    if exact_ci:
        return exact_ci
    lowered = {v.lower(): v for v in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[c] for c in close]


def check_voice(name: Any, where: str, path: Path | str | None, known: dict[str, dict[str, str]],
                error: type[StudioError] = ConfigError) -> None:
    """Raise `error` naming the file and key when `name` is not a known voice."""
    if not isinstance(name, str) or not name.strip():
        raise error(f"{where}: a voice must be a voice name like zh-CN-XiaoxiaoNeural, got {name!r}", path)
    if name in known:
        return
    close = suggest(name, list(known))
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise error(f"{where}: unknown voice {name!r}{hint}; `studio voices` lists them", path)


@dataclass
class VoiceList:
    source: str  # "live", "bundled", "azure", "openai"
    voices: list[dict[str, str]]
    notes: list[str] = field(default_factory=list)


def list_voices(engine: str, show, cache_dir: Path | None, offline: bool = False, lang: str | None = None) -> VoiceList:
    """The voices `studio voices` lists: Edge's live list when it answers (remembered for builds), else the
    bundled one; azure: the resource's list; openai: the configured voice map; espeak: the offline voices."""
    found = VoiceList("bundled", list(known_voices(cache_dir).values()))  # plus the last live list, if any
    if engine == "espeak":
        found = VoiceList("espeak", espeak_voices(), [
            "voices in show.toml and the scripts are Edge names for every engine; the offline voice reads each "
            "with the espeak-ng voice of its language, marked 'reads'"])
    elif engine != "edge":
        found = VoiceList(engine, service_voices(engine, show, cache_dir))
    elif not offline:
        try:
            found = VoiceList("live", fetch_live_voices())
        except Exception as e:  # unreachable or refused: the bundled list still answers
            why = connector_cause(e) or edge_error(e, 5).message
            found.notes.append(f"voice list not reachable ({why}); showing the bundled list")
        else:
            save_live_voices(found.voices, cache_dir)
    found.voices = sorted(filter_by_lang(found.voices, lang), key=lambda v: (v["Locale"], v["ShortName"]))
    return found
