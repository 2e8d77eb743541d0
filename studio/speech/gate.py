"""How many requests run at once, adapting to the voice service (AIMD, as TCP does it).

Start at `speech.jobs`; every request that succeeds while all slots are busy opens one more,
up to `speech.max_jobs`; a request the service refuses or drops (403/429/5xx, timeouts, cut
audio) halves the limit (never under 1). A service that throttles is backed off from at once;
one that keeps up is used at its pace. `peak` and `backoffs` say what happened.
"""

from __future__ import annotations

import asyncio


class AdaptiveGate:
    def __init__(self, start: int, ceiling: int):
        self.limit = max(1, start)
        self.ceiling = max(self.limit, ceiling)
        self.active = 0
        self.peak = self.limit
        self.backoffs = 0
        self._cond = asyncio.Condition()

    async def acquire(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.active < self.limit)
            self.active += 1

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
