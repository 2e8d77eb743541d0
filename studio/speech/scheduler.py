"""Run speech requests concurrently: bounded jobs, retries with backoff and jitter.

Every finished chunk goes into the cache at once, so one failing item never
costs the work done for the others.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Protocol

from studio.core.errors import SpeechError
from studio.speech.align import coverage_problem
from studio.speech.assemble import clip_duration_ms
from studio.speech.base import Clip, Engine, EngineConfigError, TransientSpeechError, VoiceSettings
from studio.speech.cache import ClipCache
from studio.speech.gate import AdaptiveGate

MAX_BACKOFF_S = 20.0
MAX_RETRY_AFTER_S = 120.0  # a longer Retry-After is honoured only up to this


@dataclass
class Request:
    """One chunk of speech text in one voice: one request to the engine."""

    text: str
    voice: VoiceSettings
    key: str = ""
    clip: Clip | None = None


@dataclass
class ItemJob:
    index: int
    label: str  # item 3 ('Title')
    requests: list[Request]
    error: str | None = None
    config_error: bool = False  # the service refused our key or settings
    attempts: int = 0
    started: bool = False

    @property
    def pending(self) -> list[Request]:
        return [r for r in self.requests if r.clip is None]


@dataclass
class Summary:
    synthesized: int = 0  # items with at least one chunk synthesized this run
    cached: int = 0  # items entirely from the cache
    retried: int = 0  # requests that were retried (once per retry)
    failed: int = 0  # items that could not be synthesized
    requests: int = 0  # requests sent to the engine
    failures: list[ItemJob] = field(default_factory=list)


class SpeechProgress(Protocol):
    def item_started(self, job: ItemJob) -> None: ...
    def request_done(self, job: ItemJob) -> None: ...
    def retrying(self, job: ItemJob, attempt: int, cause: str, delay: float) -> None: ...
    def item_done(self, job: ItemJob, cached: bool) -> None: ...


class _Silent:
    def item_started(self, job): pass
    def request_done(self, job): pass
    def retrying(self, job, attempt, cause, delay): pass
    def item_done(self, job, cached): pass


@dataclass
class RetryPolicy:
    retries: int = 4  # attempts after the first
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: base * 2^(attempt-1) * [0.5, 1.5)."""
        return min(MAX_BACKOFF_S, self.backoff * 2 ** (attempt - 1)) * (0.5 + self.rng.random())


class _FailFast(Exception):
    """An item failed and the caller wants no more work (it will try another engine)."""


def request_ranks(jobs: list[ItemJob], slots: int) -> dict[int, tuple]:
    """The order requests go out in (by id of the request): episode order, so the audio stage
    encodes the first items while the rest are spoken; the last round (one request per slot)
    longest first, so that the build does not wait for a long one started last."""
    pending = [r for j in sorted(jobs, key=lambda j: j.index) for r in j.pending]
    last = max(0, len(pending) - slots)
    return {id(r): (0, n) if n < last else (1, -len(r.text), n) for n, r in enumerate(pending)}


async def run_jobs(jobs: list[ItemJob], engine: Engine, cache: ClipCache, concurrency: int,
                   policy: RetryPolicy, progress: SpeechProgress | None = None, fail_fast: bool = False,
                   max_concurrency: int | None = None) -> Summary:
    """Synthesize every pending request of every job; fill `request.clip` and the cache.
    Requests run `concurrency` at a time at first, adapting up to `max_concurrency`
    (studio.speech.gate). With `fail_fast`, the first item that fails stops all the others; without it, the
    first refusal of our settings or an unreachable service (EngineConfigError) does."""
    progress = progress or _Silent()
    summary = Summary()
    cap = getattr(engine, "max_jobs", None) or max(concurrency, max_concurrency or 0)
    gate = AdaptiveGate(min(concurrency, cap), min(max_concurrency or concurrency, cap))
    ranks = request_ranks(jobs, gate.ceiling)
    same: dict[str, asyncio.Future] = {}  # one request per distinct (voice, text) key

    async def speak(job: ItemJob, req: Request, rank: tuple) -> None:
        if req.key in same:
            req.clip = await asyncio.shield(same[req.key])
            progress.request_done(job)
            return
        same[req.key] = done = asyncio.get_running_loop().create_future()
        try:
            req.clip = await fresh(job, req, rank)
        except Exception as e:
            done.set_exception(e)
            done.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        except BaseException:
            done.cancel()
            raise
        done.set_result(req.clip)
        progress.request_done(job)

    async def fresh(job: ItemJob, req: Request, rank: tuple) -> Clip:
        attempt = 0
        while True:
            attempt += 1
            job.attempts = max(job.attempts, attempt)
            try:
                await gate.acquire(rank)
                ok = False
                try:
                    if not job.started:
                        job.started = True
                        progress.item_started(job)
                    summary.requests += 1
                    clip = await engine.synthesize(req.text, req.voice)
                    if engine.checks_coverage:
                        problem = coverage_problem(req.text, clip.boundaries, clip_duration_ms(clip), req.voice.rate)
                        if problem:
                            raise TransientSpeechError(problem)
                    ok = True
                finally:
                    await asyncio.shield(gate.release(ok))
                break
            except TransientSpeechError as e:
                if attempt > policy.retries:
                    raise SpeechError(f"{e.message} (gave up after {attempt} attempts)") from None
                delay = policy.delay(attempt)
                if e.retry_after is not None:  # the service said how long: wait at least that
                    delay = max(delay, min(e.retry_after, MAX_RETRY_AFTER_S))
                summary.retried += 1
                progress.retrying(job, attempt, e.message, delay)
                await asyncio.sleep(delay)
        await asyncio.to_thread(cache.put, req.key, clip, req.voice.voice)  # fsyncs: off the event loop
        return clip

    async def run_item(job: ItemJob) -> None:
        pending = job.pending
        if not pending:
            summary.cached += 1
            progress.item_done(job, cached=True)
            return
        results = await asyncio.gather(*(speak(job, r, ranks[id(r)]) for r in pending), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        for err in errors:
            if not isinstance(err, Exception):
                raise err
        if errors:
            err = errors[0]
            job.error = err.message if isinstance(err, SpeechError) else f"{type(err).__name__}: {err}"
            job.config_error = isinstance(err, EngineConfigError)
            summary.failed += 1
            summary.failures.append(job)
        else:
            summary.synthesized += 1
        progress.item_done(job, cached=False)
        if errors and (fail_fast or job.config_error):  # a refused key or an unreachable host: no request can succeed
            raise _FailFast

    try:
        async with asyncio.TaskGroup() as group:
            for j in jobs:
                group.create_task(run_item(j))
    except* _FailFast:
        pass
    return summary
