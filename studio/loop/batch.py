"""`studio build` with no script or several: each in date order, one line each, failures don't stop the rest."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from studio.build.episode import build_episode
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.progress import Reporter, length_text
from studio.ingest.scripts import episode_scripts, in_date_order
from studio.speech.synthesize import EngineSkipped


@dataclass
class BuildOutcome:
    script: Path
    status: str  # "built" | "up to date" | "failed"
    seconds: float
    result: Any = None  # BuildResult when it did not fail
    error: str = ""

    def line(self, shown: str) -> str:
        if self.status == "failed":
            return f"✗ {shown}: {self.error}"
        r = self.result
        if self.status == "up to date":
            return f"· {shown}: up to date ({r.episode})"
        if r.rerendered:
            return (f"✓ {shown}: {' and '.join(r.rerendered)} of {r.episode} rendered again, the audio is "
                    f"up to date ({self.seconds:.1f} s)")
        return (f"✓ {shown}: built {r.episode} — {r.items} item{'s' * (r.items != 1)}, {r.synthesized} synthesized, "
                f"{r.cached} cached; {length_text(r.duration_ms)} long, built in {self.seconds:.1f} s")

    def to_json(self, shown: str) -> dict[str, Any]:
        data = {"script": shown, "status": self.status, "seconds": round(self.seconds, 2)}
        if self.status == "failed":
            data["error"] = self.error
        else:
            data.update(self.result.to_json())
        return data


def error_text(e: BaseException, script: Path | None = None) -> str:
    """One line for a failed build; the script's own path is left out (the line names it)."""
    if isinstance(e, StudioError):
        if script is not None and e.path and Path(e.path).resolve() == Path(script).resolve():
            return f"line {e.line}: {e.message}" if e.line else e.message
        return str(e)
    if isinstance(e, OSError):
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        return f"{where}{e.strerror or e}"
    return f"internal error: {type(e).__name__}: {e}"


class OncePerRun:
    """A reporter for a run of builds (`studio build` of several scripts, watch mode): an engine that
    `auto` skipped (Edge unreachable, say) is named once, not once per episode. Everything else is
    passed on as it comes."""

    def __init__(self, inner: Reporter):
        self.inner = inner
        self.skipped: set[str] = set()

    def warn(self, msg: str) -> None:
        if isinstance(msg, EngineSkipped):
            if msg.engine in self.skipped:
                return
            self.skipped.add(msg.engine)
        self.inner.warn(msg)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def build_one(script: Path, show: Show, **options: Any) -> BuildOutcome:
    """Build one script and say how it went; never raises for a bad script."""
    started = time.monotonic()
    try:
        result = build_episode(script, show, reporter=options.pop("reporter", None) or Reporter(quiet=True),
                               **options)
    except Exception as e:  # a bad script, or a bug in one episode's build, must not stop the others
        return BuildOutcome(script, "failed", time.monotonic() - started, error=error_text(e, script))
    return BuildOutcome(script, "built" if result.built else "up to date", time.monotonic() - started, result)


def scripts_to_build(show: Show, given: list[Path], skipped: list[Path] | None = None) -> list[Path]:
    """The given scripts in the given order, or every script in episodes/ in date order (links leading
    outside the show are left out, into `skipped`)."""
    if given:
        return list(given)
    scripts = episode_scripts(show, skipped)
    if not scripts:
        raise StudioError("no episode scripts in episodes/ (create one with `studio new \"TITLE\"`)",
                          show.episodes_dir)
    return in_date_order(scripts)


def build_many(scripts: list[Path], show: Show, on_done: Callable[[BuildOutcome], None] | None = None,
               **options: Any) -> list[BuildOutcome]:
    outcomes = []
    options["reporter"] = OncePerRun(options.get("reporter") or Reporter(quiet=True))
    for script in scripts:
        outcome = build_one(script, show, **dict(options))
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes
