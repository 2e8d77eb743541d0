"""The send rate: adapts to the server like TCP's congestion window, never above a ceiling.

It starts low and doubles every quarter second (slow start) while the
pace, not the server, is what holds senders back (the senders took at least 70 %
of the tick's slots); the first time the server says
"slow down" (421, a 4.7.x reply, SES throttling, a dropped connection) the rate
drops to 70 % and from then on grows by 4 % a tick (about a sixth a second) up to
the next back-off. Answers to messages that were already on their way when it backed
off are not counted again (one back-off a second). `rate` when the run ends is the
rate it settled on.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

TICK = 0.25  # seconds between growth steps
HOLD = 1.0  # seconds after a back-off during which further "slow down" answers are the same episode
SLOW_START, GROWTH, BACKOFF = 2.0, 0.04, 0.7


class AdaptiveRate:
    def __init__(self, ceiling: float, start: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.ceiling = float(ceiling)
        self.rate = min(self.ceiling, start)
        self.floor = min(self.rate, 0.5)
        self.backoffs = 0
        self.peak = self.rate
        self.clock = clock
        self._slow_start = True
        self._next = 0.0  # when the next message may go
        self._granted = 0  # slots given out during this tick
        self._lock = asyncio.Lock()
        self._tick_at = clock()
        self._backoff_at = float("-inf")

    async def slot(self) -> None:
        """Wait for the next message's turn. Senders queue on a lock, and only the first in line sleeps, so a
        pace that grows applies to the very next slot (no slots booked ahead at an old pace)."""
        async with self._lock:
            while True:
                now = self.clock()
                self._grow(now)
                if now >= self._next:
                    break
                await asyncio.sleep(self._next - now)
            self._next = max(self._next, now) + 1.0 / self.rate
            self._granted += 1

    def _grow(self, now: float) -> None:
        elapsed = now - self._tick_at
        if elapsed < TICK:
            return
        used = self._granted + 1 >= 0.7 * self.rate * elapsed  # senders kept up with the pace: it is the limit
        if used and now - self._backoff_at > HOLD:
            grown = self.rate * SLOW_START if self._slow_start else self.rate + max(0.5, self.rate * GROWTH)
            self.rate = min(self.ceiling, grown)
            self.peak = max(self.peak, self.rate)
        self._granted, self._tick_at = 0, now

    def slow_down(self) -> None:
        """The server asked for less: back off once per episode."""
        now = self.clock()
        if now - self._backoff_at < HOLD:
            return
        self.rate = max(self.floor, self.rate * BACKOFF)
        self._slow_start = False
        self._backoff_at = now
        self.backoffs += 1
        self._next = max(self._next, now + 1.0 / self.rate)
