"""How many requests run at once, adapting to the voice service (AIMD, as TCP does it).

Start at `speech.jobs`; every request that succeeds while all slots are busy opens one more,
up to `speech.max_jobs`; a request the service refuses or drops (403/429/5xx, timeouts, cut
audio) halves the limit (never under 1). A service that throttles is backed off from at once;
one that keeps up is used at its pace. `peak` and `backoffs` say what happened.

A free slot goes to the waiting request of the lowest rank (studio.speech.scheduler.request_ranks:
episode order, so clips complete in the order the audio stage encodes them, and the last round
longest first).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class AdaptiveGate:
    def __init__(self, start: int, ceiling: int):
        self.limit = max(1, start)
        self.ceiling = max(self.limit, ceiling)
        self.active = 0
        self.peak = self.limit
        self.backoffs = 0
        self._cond = asyncio.Condition()
        self._waiting: list[tuple[tuple, int]] = []  # (rank, arrival): a heap, the lowest first
        self._arrivals = itertools.count()

    async def acquire(self, rank: tuple = ()) -> None:
        """Wait for a slot; of the requests waiting, the lowest `rank` goes first (then the first to ask)."""
        ticket = (rank, next(self._arrivals))
        async with self._cond:
            heapq.heappush(self._waiting, ticket)
            try:
                await self._cond.wait_for(lambda: self.active < self.limit and self._waiting[0] == ticket)
            except BaseException:
                self._waiting.remove(ticket)
                heapq.heapify(self._waiting)
                self._cond.notify_all()
                raise
            heapq.heappop(self._waiting)
            self.active += 1
            self._cond.notify_all()  # the next in line may fit too

    async def release(self, ok: bool) -> None:
        async with self._cond:
            busy = self.active == self.limit  # saturated, not over a limit just halved
            self.active -= 1
            if not ok:
                self.limit = max(1, self.limit // 2)
                self.backoffs += 1
            elif busy and self.limit < self.ceiling:
                self.limit += 1
                self.peak = max(self.peak, self.limit)
            self._cond.notify_all()
