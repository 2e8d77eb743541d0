"""Speech progress on the terminal: an overall bar plus one bar per item in flight.

Off a terminal (or with --quiet/--json) nothing is drawn; retries are still
reported as lines unless quiet.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

from studio.core.progress import Reporter, progress_bars
from studio.speech.scheduler import ItemJob


class SpeechDisplay:
    def __init__(self, reporter: Reporter, progress=None, total_id=None):
        self.reporter = reporter
        self.progress = progress
        self.total_id = total_id
        self.rows: dict[int, object] = {}

    @classmethod
    @contextmanager
    def open(cls, reporter: Reporter, items: int) -> Iterator["SpeechDisplay"]:
        if reporter.quiet or not sys.stderr.isatty():
            yield cls(reporter)
            return
        with progress_bars(reporter.err) as p:
            yield cls(reporter, p, p.add_task("Speech", total=items))

    def restart(self) -> None:
        """Another engine starts the episode over (auto fallback): clear the bars."""
        if self.progress is not None:
            for row in self.rows.values():
                self.progress.remove_task(row)
            self.rows.clear()
            self.progress.reset(self.total_id)

    def item_started(self, job: ItemJob) -> None:
        if self.progress is not None:
            self.rows[job.index] = self.progress.add_task(f"  {job.label}", total=len(job.pending))

    def request_done(self, job: ItemJob) -> None:
        if self.progress is not None and job.index in self.rows:
            self.progress.advance(self.rows[job.index])

    def retrying(self, job: ItemJob, attempt: int, cause: str, delay: float) -> None:
        msg = f"{job.label}: {cause}; retry {attempt} in {delay:.1f} s"
        if self.progress is not None and job.index in self.rows:
            self.progress.update(self.rows[job.index], description=f"  {job.label} [yellow](retry {attempt})[/]")
            self.progress.console.print(f"[yellow]retry[/] {msg}", highlight=False)
        else:
            self.reporter.info(f"retry {msg}")

    def item_done(self, job: ItemJob, cached: bool) -> None:
        if self.progress is None:
            return
        row = self.rows.pop(job.index, None)
        if row is not None:
            self.progress.remove_task(row)
        self.progress.advance(self.total_id)
