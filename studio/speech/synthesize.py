"""Synthesize every item of an episode: plan voices, look up the cache, pick the
engine only if something must be spoken, run the scheduler, join each item's clip.

`auto` uses the first engine of speech.engines whose clips are all cached (no
network at all); otherwise it tries them in order, and the first that speaks every
item builds the whole episode (never a mix of voices); each engine skipped is
named in a warning with the reason."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from studio.core.config import Show
from studio.core.errors import ConfigError, SpeechError
from studio.core.model import Episode
from studio.speech.assemble import join_clips
from studio.speech.base import Clip
from studio.speech.cache import ClipCache, clip_key
from studio.speech.engines import (
    ENGINE_LABELS,
    engine_version,
    make_engine,
    reach_problem,
    request_target,
    settings_problem,
)
from studio.speech.handoff import ClipHandoff
from studio.speech.lexicon import load_lexicon
from studio.speech.plan import ItemSpeech, chunks_of, english_note, plan_speech
from studio.speech.scheduler import ItemJob, Request, RetryPolicy, SpeechProgress, Summary, run_jobs
from studio.speech.text import MAX_REQUEST_BYTES
from studio.speech.voices import known_voices


@dataclass
class Speech:
    clips: list[Clip]
    voices: list[list[str]]  # the voices each item was read with
    engine: str
    synthesized: int = 0
    cached: int = 0
    retried: int = 0
    failed: int = 0
    requests: int = 0
    warnings: list[str] = field(default_factory=list)


def build_jobs(plans: list[ItemSpeech], engine: str, show: Show, limit: int) -> list[ItemJob]:
    version, target = engine_version(engine, show), request_target(engine)
    jobs = []
    for p in plans:
        reqs = [
            Request(text=chunk, voice=seg.voice, key=clip_key(engine, version, seg.voice, chunk))
            for seg in p.segments
            for chunk in chunks_of(seg, limit, target)
        ]
        jobs.append(ItemJob(index=p.index, label=p.label, requests=reqs))
    return jobs


def fill_from_cache(jobs: list[ItemJob], cache: ClipCache) -> None:
    for job in jobs:
        for r in job.requests:
            if r.clip is None:
                r.clip = cache.get(r.key)


class EngineSkipped(str):
    """The warning that `auto` skipped an engine; `engine` names it, so a run of builds can say it once."""

    engine: str

    def __new__(cls, text: str, engine: str) -> "EngineSkipped":
        note = super().__new__(cls, text)
        note.engine = engine
        return note


class _Skip(Exception):
    """This engine cannot build the episode; `auto` moves on to the next."""


def _run(name: str, show: Show, work: list[ItemJob], cache: ClipCache, jobs: int | None,
         progress: SpeechProgress | None, seed: int | None, fail_fast: bool) -> Summary:
    async def run() -> Summary:
        engine = make_engine(name, show)
        policy = RetryPolicy(retries=show.speech.retries, backoff=show.speech.retry_backoff, rng=random.Random(seed))
        try:
            ceiling = jobs or show.speech.max_jobs  # --jobs fixes the number; the setting adapts up to max_jobs
            return await run_jobs(work, engine, cache, min(jobs or show.speech.jobs, ceiling), policy, progress,
                                  fail_fast, max_concurrency=ceiling)
        finally:
            if hasattr(engine, "aclose"):
                await engine.aclose()

    return asyncio.run(run())


def synthesize_episode(
    episode: Episode,
    show: Show,
    engine_name: str,
    cache_dir: Path,
    jobs: int | None = None,
    progress: SpeechProgress | None = None,
    limit: int = MAX_REQUEST_BYTES,
    seed: int | None = None,
    warn: Callable[[str], None] | None = None,
    on_clip: Callable[[int, Clip], None] | None = None,
) -> Speech:
    """Clips for every item, in order; `warn` hears about an engine fallback at once, `on_clip`
    gets each item's clip as soon as it is complete (the audio stage decodes it meanwhile)."""
    cache = ClipCache(cache_dir, warn=warn)  # warns about a damaged clip it drops
    lexicon = load_lexicon(show.path(show.speech.lexicon), required=show.speech.lexicon != "lexicon.toml")
    plans = plan_speech(show, episode, known_voices(cache_dir), lexicon)  # voice errors before any work
    voices = [v for p in plans for v in p.voices]
    auto = engine_name == "auto"
    candidates = list(show.speech.engines) if auto else [engine_name]
    warnings: list[str] = [note] if (note := english_note(plans)) else []
    if warnings and warn:
        warn(warnings[0])
    joined: dict[int, Clip] = {}  # item index -> its clip, joined the moment its last chunk is in
    if on_clip is not None:
        progress = ClipHandoff(progress, {p.index: p.text for p in plans}, joined, on_clip)

    def skip(name: str, why: str, nxt: str) -> None:
        warnings.append(EngineSkipped(f"{ENGINE_LABELS[name]} skipped: {why}; trying {ENGINE_LABELS[nxt]}", name))
        if warn:
            warn(warnings[-1])
        if hasattr(progress, "restart"):
            progress.restart()

    cached = [c for c in candidates if all(cache.has(r.key) for j in build_jobs(plans, c, show, limit) for r in j.requests)]
    if auto and cached:  # every clip cached for one engine: no network at all, the same voices as last time
        candidates = cached[:1]
    for n, name in enumerate(candidates):
        last = n == len(candidates) - 1
        work = build_jobs(plans, name, show, limit)
        fill_from_cache(work, cache)
        summary = Summary()
        try:
            if any(j.pending for j in work):
                problem = settings_problem(name, show, voices)
                if problem and last:
                    raise ConfigError(f"engine {name}: {problem}", show.file)
                if not problem and not last:
                    unreachable = reach_problem(name, show)
                    problem = unreachable and f"unreachable ({unreachable})"
                if problem:
                    raise _Skip(problem)
                summary = _run(name, show, work, cache, jobs, progress, seed, fail_fast=not last)
                if summary.failures and not last:
                    first = min(summary.failures, key=lambda j: j.index)
                    raise _Skip(f"failed ({first.error if first.config_error else f'{first.label}: {first.error}'})")
            else:
                summary.cached = len(work)
                for j in work if progress is not None else []:
                    progress.item_done(j, cached=True)
        except _Skip as why:
            skip(name, str(why), candidates[n + 1])
            continue
        break
    if summary.failures:
        raise SpeechError(failure_message(summary, len(work)), episode.source)
    clips = [replace(joined.get(j.index) or join_clips([r.clip for r in j.requests], text=p.text,
                                                       parts=[r.text for r in j.requests]), shown=p.shown)
             for j, p in zip(work, plans)]
    return Speech(
        clips=clips, voices=[p.voices for p in plans], engine=name,
        synthesized=summary.synthesized, cached=summary.cached, retried=summary.retried,
        failed=summary.failed, requests=summary.requests, warnings=warnings,
    )


def failure_message(summary: Summary, total: int) -> str:
    refused = [j for j in summary.failures if j.config_error]
    if refused:  # one configuration problem, reported once
        return refused[0].error
    first = min(summary.failures, key=lambda j: j.index)
    kept = total - summary.failed
    more = f"; {summary.failed} of {total} items failed" if summary.failed > 1 else ""
    kept_note = f"; the other {kept} clips are kept in the cache" if kept else ""
    return f"{first.label}: {first.error}{more}{kept_note}"

