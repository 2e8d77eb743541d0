"""Synthesize every item of an episode: plan voices, look up the cache, pick the
engine only if something must be spoken, run the scheduler, join each item's clip."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

from studio.config import Show
from studio.errors import SpeechError
from studio.model import Episode
from studio.speech.assemble import join_clips
from studio.speech.base import Clip, Engine
from studio.speech.cache import ClipCache, cache_key
from studio.speech.handoff import ClipHandoff
from studio.speech.lexicon import load_lexicon
from studio.speech.plan import ItemSpeech, chunks_of, plan_speech
from studio.speech.scheduler import ItemJob, Progress, Request, RetryPolicy, Summary, run_jobs
from studio.speech.text import MAX_REQUEST_BYTES
from studio.speech.voices import known_voices


@dataclass
class SpeechResult:
    clips: list[Clip]
    voices: list[list[str]]  # the voices each item was read with
    engine: str
    synthesized: int = 0
    cached: int = 0
    retried: int = 0
    failed: int = 0
    requests: int = 0
    warnings: list[str] = field(default_factory=list)


def engine_version(name: str) -> str:
    """Without loading the engine, so a fully cached build stays fast and offline."""
    if name == "edge":
        from studio.speech.edge import edge_version

        return edge_version()
    try:
        return "espeakng-loader " + metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        return "espeak-ng"


def make_engine(name: str, show: Show) -> Engine:
    if name == "edge":
        from studio.speech.edge import EdgeEngine

        return EdgeEngine(timeout=show.speech.timeout)
    from studio.speech.espeak import EspeakEngine

    return EspeakEngine()


def build_jobs(plans: list[ItemSpeech], engine: str, limit: int) -> list[ItemJob]:
    version = engine_version(engine)
    jobs = []
    for p in plans:
        reqs = [
            Request(text=chunk, voice=seg.voice, key=cache_key(engine, version, seg.voice, chunk))
            for seg in p.segments
            for chunk in chunks_of(seg, limit)
        ]
        jobs.append(ItemJob(index=p.index, label=p.label, requests=reqs))
    return jobs


def fill_from_cache(jobs: list[ItemJob], cache: ClipCache) -> None:
    for job in jobs:
        for r in job.requests:
            if r.clip is None:
                r.clip = cache.get(r.key)


def choose_engine(requested: str, plans: list[ItemSpeech], cache: ClipCache, limit: int) -> tuple[str, list[str]]:
    """`auto`: edge when everything is already cached for edge (no network at all), else
    edge if the service answers, else espeak with a warning naming what failed."""
    if requested != "auto":
        return requested, []
    if all(cache.has(r.key) for j in build_jobs(plans, "edge", limit) for r in j.requests):
        return "edge", []
    from studio.speech.edge import probe_edge

    problem = probe_edge()
    if problem is None:
        return "edge", []
    return "espeak", [f"Edge TTS unreachable ({problem}); using the offline espeak-ng voice"]


def synthesize_episode(
    episode: Episode,
    show: Show,
    engine_name: str,
    cache_dir: Path,
    jobs: int | None = None,
    progress: Progress | None = None,
    limit: int = MAX_REQUEST_BYTES,
    seed: int | None = None,
    warn: Callable[[str], None] | None = None,
    on_clip: Callable[[int, Clip], None] | None = None,
) -> SpeechResult:
    """Clips for every item, in order; `warn` hears about an engine fallback at once, `on_clip`
    gets each item's clip as soon as it is complete (the audio stage decodes it meanwhile)."""
    cache = ClipCache(cache_dir)
    lexicon = load_lexicon(show.path(show.speech.lexicon), required=show.speech.lexicon != "lexicon.toml")
    plans = plan_speech(show, episode, known_voices(cache_dir), lexicon)  # voice errors before any work

    joined: dict[int, Clip] = {}  # item index -> its clip, joined the moment its last chunk is in
    if on_clip is not None:
        progress = ClipHandoff(progress, {p.index: p.text for p in plans}, joined, on_clip)
    name, warnings = choose_engine(engine_name, plans, cache, limit)
    for w in warnings if warn else []:
        warn(w)
    work = build_jobs(plans, name, limit)
    fill_from_cache(work, cache)
    summary = Summary(cached=0)
    if any(j.pending for j in work):
        engine = make_engine(name, show)
        policy = RetryPolicy(retries=show.speech.retries, backoff=show.speech.retry_backoff, rng=random.Random(seed))
        summary = asyncio.run(run_jobs(work, engine, cache, jobs or show.speech.jobs, policy, progress))
    else:
        summary.cached = len(work)
        if progress is not None:
            for j in work:
                progress.item_done(j, cached=True)
    if summary.failures:
        raise SpeechError(failure_message(summary, len(work)), episode.source)
    clips = [joined.get(j.index) or join_clips([r.clip for r in j.requests], text=p.text) for j, p in zip(work, plans)]
    return SpeechResult(
        clips=clips, voices=[p.voices for p in plans], engine=name,
        synthesized=summary.synthesized, cached=summary.cached, retried=summary.retried,
        failed=summary.failed, requests=summary.requests, warnings=warnings,
    )


def failure_message(summary: Summary, total: int) -> str:
    first = min(summary.failures, key=lambda j: j.index)
    kept = total - summary.failed
    more = f"; {summary.failed} of {total} items failed" if summary.failed > 1 else ""
    kept_note = f"; the other {kept} clips are kept in the cache" if kept else ""
    return f"{first.label}: {first.error}{more}{kept_note}"

