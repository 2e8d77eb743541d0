"""A pool of connections working through a stream of messages, paced by AdaptiveRate.

Each worker holds one connection and sends message after message on it. The
caller supplies the work (`Jobs`): fresh jobs one at a time (so a list of any size
streams), the message bytes just before each send, and a place to record what
happened, as it happens. A temporary refusal (4xx, a dropped connection) sends the
job back for another try after 1, 2, 4 ... seconds, up to `retries` times; then it
stays deferred for the next run.

The pool shrinks to the connections it has when the server refuses one more (421
at connect), and slows down when the server says so (or refuses even one connection). It stops early, leaving the rest unsent, when the
server refuses `stop_after` messages in a row with the very same reply (it refuses
everything), when a daily quota is used up, when nothing was accepted for
`patience` seconds while the server kept saying no, or when it cannot be reached.
A TransportError (bad login, suspended account) ends the run at once.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from dataclasses import dataclass
from typing import Any, Protocol

from studio.mail.outcome import Busy, Dropped, Outcome, TransportError, Unreachable
from studio.mail.pacing import AdaptiveRate

CONNECT_TRIES = 6  # attempts to (re)open the only connection before giving up (about a minute of back-off)


@dataclass
class Job:
    to: str  # envelope recipient
    item: Any = None  # the caller's
    attempts: int = 0  # temporary failures so far in this run
    last: Outcome | None = None


class Jobs(Protocol):
    def fresh(self) -> Job | None: ...  # the next job of the stream, None at its end

    def prepare(self, job: Job) -> bytes | None: ...  # the message (CRLF line ends), or None to skip the job

    def claim(self, job: Job) -> None: ...  # just before the message goes

    def settle(self, job: Job, outcome: Outcome, final: bool) -> None: ...  # final=False: it will be retried

    def server_refused(self, jobs: list[Job], reason: str) -> None: ...  # these were the server's refusals


@dataclass
class PoolResult:
    stopped: str | None = None  # why the run stopped early
    server_refusal: str | None = None  # the reply that made it stop
    retried: int = 0  # temporary failures retried in the run
    connections: int = 0  # most connections open at once
    rate: float = 0.0  # the rate it settled on (messages/s)
    backoffs: int = 0


class Pool:
    def __init__(self, transport, sender: str, jobs: Jobs, pacer: AdaptiveRate, *, connections: int,
                 retries: int, stop_after: int, backoff: float = 1.0, patience: float = 120.0):
        self.transport, self.sender, self.jobs, self.pacer = transport, sender, jobs, pacer
        self.limit, self.retries, self.stop_after = connections, retries, stop_after
        self.backoff, self.patience = backoff, patience
        self.result = PoolResult()
        self.fatal: TransportError | None = None
        self._retry: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._exhausted = False
        self._in_flight = 0
        self._open = 0
        self._ever_connected = False
        self._changed = asyncio.Event()
        self._run: list[Job] = []  # consecutive identical refusals
        self._run_reason = ""
        self._progress_at = time.monotonic()

    async def run(self) -> PoolResult:
        workers = [asyncio.create_task(self._worker(n)) for n in range(self.limit)]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await self.transport.aclose()
        for _, _, job in self._retry:  # waiting for another try when the run stopped: deferred
            if job.last is not None:
                self.jobs.settle(job, job.last, final=True)
        self.result.rate, self.result.backoffs = round(self.pacer.rate, 1), self.pacer.backoffs
        if self.fatal is not None:
            raise self.fatal
        return self.result

    # ---- the work ---------------------------------------------------------------------------

    def interrupt(self, why: str) -> None:
        """Stop taking new messages; the ones on their way are finished and recorded."""
        self._stop(why)

    def _stop(self, why: str) -> None:
        if self.result.stopped is None:
            self.result.stopped = why
        self._changed.set()

    async def _next(self) -> Job | None:
        while self.result.stopped is None and self.fatal is None:
            if self._retry and self._retry[0][0] <= time.monotonic():
                self._in_flight += 1
                return heapq.heappop(self._retry)[2]
            if not self._exhausted:
                job = self.jobs.fresh()
                if job is not None:
                    self._in_flight += 1
                    return job
                self._exhausted = True
            if not self._retry and self._in_flight == 0:
                self._changed.set()
                return None
            wait = self._retry[0][0] - time.monotonic() if self._retry else None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), wait)
            except asyncio.TimeoutError:
                pass
        return None

    def _requeue(self, job: Job, delay: float) -> None:
        self._in_flight -= 1
        heapq.heappush(self._retry, (time.monotonic() + delay, next(self._seq), job))
        self._changed.set()

    def _done(self) -> None:
        self._in_flight -= 1
        self._changed.set()

    async def _worker(self, n: int) -> None:
        conn, job = None, None
        try:
            while True:
                job = await self._next()
                if job is None:
                    return
                await self.pacer.slot()
                if self.result.stopped or self.fatal:
                    self._requeue(job, 0)
                    return
                if conn is None:
                    conn = await self._connect(job)
                    if conn is None:  # the job went back; this worker retires
                        return
                data = self.jobs.prepare(job)
                if data is None:
                    self._done()
                    continue
                self.jobs.claim(job)
                try:
                    outcome = await conn.send(self.sender, job.to, data)
                except Dropped as e:
                    outcome = Outcome("deferred", None, f"connection lost: {e}", throttle=True)
                except TransportError as e:
                    self.jobs.settle(job, Outcome("deferred", None, e.message), final=True)
                    raise
                if not conn.usable:
                    self._open -= 1
                    conn = None
                self._settle(job, outcome)
        except TransportError as e:
            self.fatal = self.fatal or e
            self._changed.set()
        finally:
            if conn is not None:
                self._open -= 1
                await conn.close()

    async def _connect(self, job: Job):
        """Open this worker's connection; None when the pool is full or the server cannot be reached
        (the job went back)."""
        for attempt in range(CONNECT_TRIES):
            if self._open >= self.limit:
                self._requeue(job, 0)
                return None
            try:
                conn = await self.transport.open()
            except (Busy, Unreachable) as e:
                if not self._ever_connected and isinstance(e, Unreachable):
                    raise TransportError(str(e)) from None
                if self._open > 0:  # the others keep going: this connection was one too many
                    self.limit = self._open
                    self._requeue(job, 0)
                    return None
                self.pacer.slow_down()  # not even one connection: the server is overloaded
                if attempt == CONNECT_TRIES - 1 or time.monotonic() - self._progress_at > self.patience:
                    self._requeue(job, 0)
                    self._stop(f"cannot connect to the server ({e}); the rest were left unsent")
                    return None
                await asyncio.sleep(self.backoff * 2 ** attempt)
                if self.result.stopped or self.fatal:
                    self._requeue(job, 0)
                    return None
                continue
            self._ever_connected = True
            self._open += 1
            self.result.connections = max(self.result.connections, self._open)
            return conn
        return None

    def _settle(self, job: Job, outcome: Outcome) -> None:
        job.last = outcome
        if outcome.accepted:
            self._progress_at = time.monotonic()
            self._run, self._run_reason = [], ""
            self.jobs.settle(job, outcome, final=True)
            self._done()
            return
        if self.result.server_refusal and outcome.reason == self.result.server_refusal:
            self.jobs.server_refused([job], outcome.reason)  # was on its way when the run stopped
            self._done()
            return
        if outcome.throttle:
            self.pacer.slow_down()
        retry = (outcome.status == "deferred" and not outcome.quota and job.attempts < self.retries
                 and self.result.stopped is None)
        job.attempts += outcome.status == "deferred"
        self.jobs.settle(job, outcome, final=not retry)
        if retry:
            self.result.retried += 1
            self._requeue(job, min(60.0, self.backoff * 2 ** (job.attempts - 1)))
        else:
            self._done()
        if outcome.quota:
            self._stop(f"the server's daily quota is used up ({outcome.reason}); the rest were left unsent")
        elif not outcome.throttle:
            self._count_refusal(job, outcome)
        if time.monotonic() - self._progress_at > self.patience:
            self._stop(f"nothing was accepted for {self.patience:.0f} s while the server kept answering "
                       f"{outcome.reason}; the rest were left unsent")

    def _count_refusal(self, job: Job, outcome: Outcome) -> None:
        if outcome.reason != self._run_reason:
            self._run, self._run_reason = [], outcome.reason
        self._run.append(job)
        if len(self._run) >= self.stop_after and self.result.server_refusal is None:
            self.result.server_refusal = outcome.reason
            for queued in self._run:  # the run's deferred jobs wait in the retry heap: they are settled here
                self._retry = [entry for entry in self._retry if entry[2] is not queued]
            heapq.heapify(self._retry)
            self.jobs.server_refused(self._run, outcome.reason)
            self._stop(f"the server refused {len(self._run)} messages in a row with the same reply: "
                       f"{outcome.reason}; the rest were left unsent")
