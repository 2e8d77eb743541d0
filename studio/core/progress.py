"""Progress and messages: rich on a terminal, silent with --quiet/--json."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def shown_path(path: Path) -> str:
    """A path as a message shows it: relative to the current directory when below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def length_text(ms: float) -> str:
    """A duration as words that cannot be read as a time of day: "23 s", "8 min 52 s", "1 h 02 min"."""
    seconds = round(ms / 1000)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Reporter:
    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self._err = None

    @property
    def err(self):
        if self._err is None:
            from rich.console import Console  # lazy: rich loads only when there is a terminal to draw on

            self._err = Console(stderr=True, highlight=False)
        return self._err

    def info(self, msg: str) -> None:
        if not self.quiet:
            self.err.print(msg)

    def warn(self, msg: str) -> None:
        # warnings are shown even with --quiet: they change what was built
        self.err.print(f"[bold yellow]WARNING:[/] {msg}")

    @contextmanager
    def task(self, label: str, total: int, time_left: bool = False) -> Iterator["_Task"]:
        """A progress bar on a terminal (with the estimated time left if asked); nothing with
        --quiet/--json or off a terminal."""
        if self.quiet or not sys.stderr.isatty():
            yield _Task(None, None)
            return
        with progress_bars(self.err, time_left) as p:
            yield _Task(p, p.add_task(label, total=total))


def progress_bars(console, time_left: bool = False):
    """rich's Progress with Studio's columns: label, bar, done of total, time spent (and left if asked)."""
    from rich.progress import (  # lazy: rich loads only when there is a terminal to draw on
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if time_left:
        columns += [TextColumn("left"), TimeRemainingColumn()]
    return Progress(*columns, console=console, transient=True)


class _Task:
    def __init__(self, progress, task_id):
        self.progress, self.task_id = progress, task_id

    def advance(self, n: int = 1, description: str | None = None) -> None:
        if self.progress is not None:
            kw = {"description": description} if description else {}
            self.progress.update(self.task_id, advance=n, **kw)

    def update(self, completed: int, total: int, description: str) -> None:
        """Set the count, the total and the label at once (a caller that keeps its own count)."""
        if self.progress is not None:
            self.progress.update(self.task_id, completed=completed, total=total, description=description)
