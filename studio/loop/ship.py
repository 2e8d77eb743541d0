"""`studio ship EPISODE`: check -> build -> publish -> send, stopping at the first failure.

Each step is the very command a host would type (`studio check`, `studio build`,
`studio publish --to`, `studio send --list`), run in this process with the same
options, so ship does exactly what those commands do. `--dry-run` runs the
read-only forms: check as is, build says whether it would build, publish and
send with their own --dry-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import click

STEPS = ("check", "build", "publish", "send")


@dataclass
class ShipOptions:
    episode: Path
    target: str | None = None  # publish --to
    list_path: str | None = None  # send --list
    out_dir: Path | None = None
    engine: str | None = None
    rate: str | None = None
    show_file: str | None = None


def step_args(step: str, o: ShipOptions, dry_run: bool = False) -> list[str]:
    """The `studio ...` arguments of one step."""
    out = ["--out", str(o.out_dir)] if o.out_dir else []
    if step == "check":
        args = ["check", *out]
    elif step == "build":
        args = ["build", str(o.episode), *out] + (["--engine", o.engine] if o.engine else [])
    elif step == "publish":
        args = ["publish", *out] + (["--to", o.target] if o.target else []) + (["--dry-run"] if dry_run else [])
    else:
        args = ["send", str(o.episode), *out] + (["--list", o.list_path] if o.list_path else [])
        args += (["--rate", o.rate] if o.rate else []) + (["--dry-run"] if dry_run else [])
    return args


def run_studio(args: list[str], show_file: str | None = None) -> int:
    """Run `studio ARGS` in this process; its exit status (0 when it returned normally)."""
    from studio.cli import cli

    try:
        cli.main(args=(["--show", show_file] if show_file else []) + args, prog_name="studio",
                 standalone_mode=False)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.Abort:
        return 1
    return 0


def describe_build(o: ShipOptions) -> tuple[int, str, bool]:
    """(status, what `studio build` would do, whether it would build) without building anything."""
    from studio.cli import load_show_for
    from studio.core.errors import StudioError
    from studio.build.fingerprint import build_fingerprint, up_to_date

    try:
        show = load_show_for(o.show_file, o.episode)
        out = o.out_dir or show.out_dir
        engine = o.engine or show.speech.engine
        current = up_to_date(o.episode, out, build_fingerprint(o.episode, show, {"engine": engine, "format": None}), show)
        if current:
            return 0, f"{o.episode} is up to date in {out}: nothing to build", False
        from studio.ingest import read_episode

        episode = read_episode(o.episode)
    except StudioError as e:
        return 1, f"error: {e}", True
    return 0, (f"would build {o.episode} -> {out / 'episodes' / episode.slug} "
               f"({len(episode.items)} items, voice engine {engine}), then the feed and site"), True


def _ever_built(o: ShipOptions) -> bool:
    from studio.cli import load_show_for
    from studio.build.fingerprint import read_index

    show = load_show_for(o.show_file, o.episode)
    return str(o.episode.resolve()) in read_index(o.out_dir or show.out_dir)


def ship(o: ShipOptions, dry_run: bool = False, echo: Callable[[str], None] = click.echo) -> int:
    """Run the steps in order; the exit status of the first that fails, else of the last."""
    status, pending = 0, False
    for n, step in enumerate(STEPS, start=1):
        args = step_args(step, o, dry_run)
        echo(f"── {n}/{len(STEPS)} {step}: studio {' '.join(args)}")
        if dry_run and step == "build":
            status, what, pending = describe_build(o)
            echo(f"  {what}")
        elif dry_run and step == "publish" and pending:
            echo(f"  would copy what the build writes, and anything else changed, to {o.target or 'the target'} "
                 "(feed.xml last); `studio publish --dry-run` lists the files once it is built")
        elif dry_run and step == "send" and not _ever_built(o):
            echo("  would email the episode once it is built (it is not built yet, so there are no recipients to list)")
        else:
            status = run_studio(args, o.show_file)
        if status not in (0, None):
            left = ", ".join(STEPS[n:]) or "nothing"
            echo(f"✗ {step} failed (exit {status}): ship stopped; not run: {left}")
            return status
    echo("Dry run: nothing was built, published or sent." if dry_run else f"Shipped {o.episode}.")
    return 0
