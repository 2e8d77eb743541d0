"""`studio ship EPISODE`: check -> build -> test -> publish -> send, stopping at the first failure.

Each step calls the same library function as its own command (`studio check`, `studio build`,
`studio send --test-to`, `studio publish --to`, `studio send --list`) with the same options, and
reports what that command would print. The build always runs (a no-op when the build is current),
so what is published and sent is the script as it is now. The test step runs when a test address
is set (`--test-to`, or `[email] test_to`): one copy of the new build to that address, before
anything is published or mailed to the list; if it does not go, ship stops there. `--dry-run`
runs the read-only forms: check as is, build says whether it would build, the test says where
it would go, publish and send with their own dry run.

Ship's check is `studio check` less what ship itself does next: the shipped script not built
yet (or changed since its build) is what the build step is for, and other scripts not built
(next week's draft) are shown as warnings; errors and placeholder URLs stop it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from studio.build.episode import build_episode
from studio.build.fingerprint import build_fingerprint, read_index, up_to_date
from studio.check import BUILD, Report, check_all
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.layout import OutputLayout
from studio.core.progress import Reporter
from studio.feed.rules import source_key
from studio.ingest import read_episode
from studio.publish.show import PublishBlocked, publish_show, result_lines
from studio.send.run import parse_rate, send_episode

STEPS = ("check", "build", "test", "publish", "send")
EX_TEMPFAIL = 75  # `studio send`: some recipients were deferred; run again later


@dataclass
class ShipOptions:
    episode: Path
    target: str | None = None  # publish --to
    list_path: str | None = None  # send --list
    out_dir: Path | None = None
    engine: str | None = None
    rate: str | None = None
    test_to: str | None = None  # send --test-to first (default: [email] test_to)


def steps_of(show: Show, o: ShipOptions) -> tuple[str, ...]:
    """The steps ship runs: the test send only when there is a test address."""
    return tuple(s for s in STEPS if s != "test" or test_address(show, o))


def test_address(show: Show, o: ShipOptions) -> str:
    return o.test_to or show.email.test_to


def command_line(step: str, o: ShipOptions, dry_run: bool = False, test_to: str = "") -> str:
    """The `studio ...` command a step does the work of, as the host would type it."""
    out = ["--out", str(o.out_dir)] if o.out_dir else []
    dry = ["--dry-run"] if dry_run else []
    args = {
        "check": ["check", *out],
        "build": ["build", str(o.episode), *out] + (["--engine", o.engine] if o.engine else []),
        "test": ["send", str(o.episode), *out, "--test-to", test_to],
        "publish": ["publish", *out] + (["--to", o.target] if o.target else []) + dry,
        "send": ["send", str(o.episode), *out] + (["--list", o.list_path] if o.list_path else [])
        + (["--rate", o.rate] if o.rate else []) + dry,
    }[step]
    return "studio " + " ".join(args)


def ship(show: Show, o: ShipOptions, dry_run: bool = False, say: Callable[[str], None] = print,
         warn: Callable[[str], None] = print) -> int:
    """Run the steps in order; the exit status of the first that fails, else 0."""
    out = o.out_dir or show.out_dir
    steps = {"check": _check, "build": _build, "test": _test, "publish": _publish, "send": _send}
    order = steps_of(show, o)
    for n, step in enumerate(order, start=1):
        say(f"── {n}/{len(order)} {step}: {command_line(step, o, dry_run, test_address(show, o))}")
        try:
            status = steps[step](show, o, out, dry_run, say, warn)
        except StudioError as e:
            say(f"error: {e}")
            status = 1
        if status:
            left = ", ".join(order[n:]) or "nothing"
            say(f"✗ {step} failed (exit {status}): ship stopped; not run: {left}")
            return status
    say("Dry run: nothing was built, published or sent." if dry_run else f"Shipped {o.episode}.")
    return 0


def _check(show: Show, o: ShipOptions, out: Path, dry_run: bool, say, warn) -> int:
    report = for_ship(check_all(show, out), source_key(show, o.episode))
    say(f"Checking {show.title} ({show.file}, output {out})")
    say(report.render())
    return 0 if report.ready else 1


def for_ship(report: Report, shipped: str) -> Report:
    """`studio check`'s report less what the next steps do: the shipped script's build (and a show with
    nothing built yet) is the build step's; other scripts not built or changed become warnings."""
    kept = []
    for f in report.findings:
        if f.level == "todo" and f.kind == BUILD:
            if not f.script or f.script == shipped:
                continue
            f.level, f.message = "warning", f"{f.message} (not part of this release)"
        kept.append(f)
    report.findings = kept
    return report


def _build(show: Show, o: ShipOptions, out: Path, dry_run: bool, say, warn) -> int:
    if dry_run:
        say(f"  {describe_build(show, o, out)}")
        return 0
    result = build_episode(o.episode, show, out_dir=o.out_dir, engine=o.engine, reporter=Reporter(quiet=True))
    for line in result.warnings:
        warn(f"WARNING: {line}")
    say(f"{result.audio}\n{result.email_html}\n{result.feed}")
    return 0


def describe_build(show: Show, o: ShipOptions, out: Path) -> str:
    """What `studio build` would do, without building anything."""
    engine = o.engine or show.speech.engine
    if up_to_date(o.episode, out, build_fingerprint(o.episode, show, {"engine": engine, "format": None}), show):
        return f"{o.episode} is up to date in {out}: nothing to build"
    episode = read_episode(o.episode)
    return (f"would build {o.episode} -> {OutputLayout(out).episode(episode.slug).dir} "
            f"({len(episode.items)} items, voice engine {engine}), then the feed and site")


def _test(show: Show, o: ShipOptions, out: Path, dry_run: bool, say, warn) -> int:
    to = test_address(show, o)
    if dry_run:
        say(f"  would send one copy of the new build to {to} (send log untouched) and stop here if it does not go")
        return 0
    report = send_episode(show, str(o.episode), test_to=to, out_dir=o.out_dir)
    say("\n".join(report.lines()))
    return 0


def _publish(show: Show, o: ShipOptions, out: Path, dry_run: bool, say, warn) -> int:
    if not o.target:
        say("error: nowhere to publish: give --to DIR or --to s3://BUCKET/PREFIX")
        return 2
    if dry_run and not _built(show, o, out):
        say(f"  would copy what the build writes, and anything else changed, to {o.target} "
            "(feed.xml last); `studio publish --dry-run` lists the files once it is built")
        return 0
    try:
        result = publish_show(show, out, o.target, dry_run=dry_run)
    except PublishBlocked as e:
        say(e.report.render())
        raise
    lines, warnings = result_lines(result, out, dry_run)
    for w in warnings:
        warn(f"warning: {w}")
    say("\n".join(lines))
    return 0


def _send(show: Show, o: ShipOptions, out: Path, dry_run: bool, say, warn) -> int:
    if dry_run and not _built(show, o, out):
        say("  would email the episode once it is built (it is not built yet, so there are no recipients to list)")
        return 0
    rate = parse_rate(o.rate) if o.rate else None
    report = send_episode(show, str(o.episode), list_path=Path(o.list_path) if o.list_path else None,
                          dry_run=dry_run, rate=rate, out_dir=o.out_dir)
    say("\n".join(report.lines()))
    if report.aborted and not dry_run:
        say(f"error: {report.error_line()}")
        return 1
    return EX_TEMPFAIL if report.deferred and not dry_run else 0


def _built(show: Show, o: ShipOptions, out: Path) -> bool:
    return str(Path(o.episode).resolve()) in read_index(out)
