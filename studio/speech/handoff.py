"""Hand each item's clip on the moment it is complete (the audio stage decodes it meanwhile).

A `SpeechProgress` (studio.speech.scheduler) wrapped around the display: when an item is done, its
chunks are joined into its clip and passed to `on_clip(index, clip)`; the joined clip is kept
so the episode's clip list reuses it.
"""

from __future__ import annotations

from typing import Callable

from studio.speech.assemble import join_clips
from studio.speech.base import Clip
from studio.speech.scheduler import ItemJob, SpeechProgress


class ClipHandoff:
    """SpeechProgress that also hands each finished item's joined clip to `on_clip`."""

    def __init__(self, inner: SpeechProgress | None, texts: dict[int, str], joined: dict[int, Clip],
                 on_clip: Callable[[int, Clip], None]):
        self.inner, self.texts, self.joined, self.on_clip = inner, texts, joined, on_clip

    def restart(self) -> None:
        """Another engine starts the episode over (auto fallback): its clips replace these."""
        self.joined.clear()
        if hasattr(self.inner, "restart"):
            self.inner.restart()

    def item_started(self, job: ItemJob) -> None:
        if self.inner is not None:
            self.inner.item_started(job)

    def request_done(self, job: ItemJob) -> None:
        if self.inner is not None:
            self.inner.request_done(job)

    def retrying(self, job: ItemJob, attempt: int, cause: str, delay: float) -> None:
        if self.inner is not None:
            self.inner.retrying(job, attempt, cause, delay)

    def item_done(self, job: ItemJob, cached: bool) -> None:
        if job.error is None and not job.pending:
            clip = self.joined[job.index] = join_clips([r.clip for r in job.requests], text=self.texts[job.index],
                                                         parts=[r.text for r in job.requests])
            self.on_clip(job.index, clip)
        if self.inner is not None:
            self.inner.item_done(job, cached)
