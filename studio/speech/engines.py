"""The voice engines by name: version (for the cache key, without loading the
engine), settings problems, reachability, and construction."""

from __future__ import annotations

from importlib import metadata

from studio.core.config import Show
from studio.speech.base import Engine

LABELS = {
    "edge": "Edge TTS",
    "azure": "Azure Speech",
    "openai": "the OpenAI-compatible speech server",
    "espeak": "the offline espeak-ng voice",
}


def engine_version(name: str, show: Show) -> str:
    """Without loading the engine, so a fully cached build stays fast and offline."""
    if name == "edge":
        from studio.speech.edge import edge_version

        return edge_version()
    if name == "azure":
        from studio.speech.azure import azure_version

        return azure_version(show.speech.azure)
    if name == "openai":
        from studio.speech.openai_api import openai_version

        return openai_version(show.speech.openai)
    try:
        return "espeakng-loader " + metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        return "espeak-ng"


def settings_problem(name: str, show: Show, voices: list[str]) -> str | None:
    """What in show.toml or the environment keeps `name` from being used."""
    if name == "azure":
        from studio.speech.azure import azure_problem

        return azure_problem(show.speech.azure)
    if name == "openai":
        from studio.speech.openai_api import openai_problem

        return openai_problem(show.speech.openai, voices)
    return None


def reach_problem(name: str, show: Show) -> str | None:
    """None when the service's host accepts a connection (always for espeak)."""
    from studio.speech.http import probe_url

    if name == "edge":
        from studio.speech.edge import edge_url

        return probe_url(edge_url())
    if name == "azure":
        from studio.speech.azure import azure_base

        return probe_url(azure_base(show.speech.azure))
    if name == "openai":
        return probe_url(show.speech.openai.base_url)
    return None


def make_engine(name: str, show: Show) -> Engine:
    timeout = show.speech.timeout
    if name == "edge":
        from studio.speech.edge import EdgeEngine

        return EdgeEngine(timeout=timeout)
    if name == "azure":
        from studio.speech.azure import AzureEngine

        return AzureEngine(show.speech.azure, timeout)
    if name == "openai":
        from studio.speech.openai_api import OpenAIEngine

        return OpenAIEngine(show.speech.openai, timeout)
    from studio.speech.espeak import EspeakEngine

    return EspeakEngine()
