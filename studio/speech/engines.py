"""The voice engines: one registry by name, from which the settings check, the CLI's --engine
choices and the messages derive. Each entry says how to name its version (for the cache key,
without loading the engine), what in the settings keeps it from being used, where its service
is (to probe before a build), and how to make it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from studio.core.config import Show
from studio.core.errors import ConfigError
from studio.speech.azure import AzureEngine, azure_base, azure_problem, azure_version
from studio.speech.base import Engine
from studio.speech.edge import REQUEST_TARGET_BYTES, EdgeEngine, edge_url, edge_version
from studio.speech.espeak import EspeakEngine, espeak_version
from studio.speech.openai_api import OpenAIEngine, openai_problem, openai_version
from studio.speech.reach import probe


@dataclass(frozen=True)
class EngineKind:
    name: str
    label: str  # in messages: "Edge TTS skipped: ..."
    version: Callable[[Show], str]
    make: Callable[[Show], Engine]
    endpoint: Callable[[Show], str | None] = lambda show: None  # None: offline, nothing to probe
    problem: Callable[[Show, list[str]], str | None] = lambda show, voices: None  # settings keeping it from use
    request_bytes: int | None = None  # pack sentences into requests of about this size (None: as large as allowed)


ENGINES: dict[str, EngineKind] = {k.name: k for k in (
    EngineKind("edge", "Edge TTS", lambda show: edge_version(), lambda show: EdgeEngine(timeout=show.speech.timeout),
               endpoint=lambda show: edge_url(), request_bytes=REQUEST_TARGET_BYTES),
    EngineKind("azure", "Azure Speech", lambda show: azure_version(show.speech.azure),
               lambda show: AzureEngine(show.speech.azure, show.speech.timeout),
               endpoint=lambda show: azure_base(show.speech.azure),
               problem=lambda show, voices: azure_problem(show.speech.azure)),
    EngineKind("openai", "the OpenAI-compatible speech server", lambda show: openai_version(show.speech.openai),
               lambda show: OpenAIEngine(show.speech.openai, show.speech.timeout),
               endpoint=lambda show: show.speech.openai.base_url,
               problem=lambda show, voices: openai_problem(show.speech.openai, voices)),
    EngineKind("espeak", "the offline espeak-ng voice", lambda show: espeak_version(), lambda show: EspeakEngine()),
)}
AUTO = "auto"  # speech.engines in order, the first that can be used
ENGINE_CHOICES = (AUTO, *ENGINES)
ENGINE_LABELS = {name: kind.label for name, kind in ENGINES.items()}


def check_engine_settings(show: Show) -> None:
    """speech.engine and speech.engines name engines of the registry; ConfigError naming the key if not."""
    names = ", ".join(ENGINES)
    if show.speech.engine not in ENGINE_CHOICES:
        raise ConfigError(f"key 'speech.engine': must be {AUTO}, {names}, got {show.speech.engine!r}", show.file)
    listed = show.speech.engines
    if not listed or any(e not in ENGINES for e in listed) or len(set(listed)) != len(listed):
        raise ConfigError(f"key 'speech.engines': a list of distinct engines from {names}, got {listed!r}", show.file)


def engine_version(name: str, show: Show) -> str:
    return ENGINES[name].version(show)


def request_target(name: str) -> int | None:
    """How much text one request of `name` should carry (studio.speech.text.split_for_requests)."""
    return ENGINES[name].request_bytes


def settings_problem(name: str, show: Show, voices: list[str]) -> str | None:
    """What in show.toml or the environment keeps `name` from being used."""
    return ENGINES[name].problem(show, voices)


def reach_problem(name: str, show: Show) -> str | None:
    """None when the service's host accepts a connection (always for an offline engine), else why not."""
    url = ENGINES[name].endpoint(show)
    return probe(url) if url else None


def make_engine(name: str, show: Show) -> Engine:
    return ENGINES[name].make(show)
