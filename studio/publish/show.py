"""`studio publish`: the output folder to a target, after rebuilding the feed and site and
checking them; then the feed's hubs are pinged. `studio ship` runs the same."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from studio.build.showwide import write_site_and_feed
from studio.check import Report, check_all
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.layout import FEED, OutputLayout
from studio.feed.rules import require_publishable
from studio.publish.push import push
from studio.publish.run import open_target, publish, require_built
from studio.publish.target import PublishResult


class PublishBlocked(StudioError):
    """`studio check` found errors in what would be published."""

    def __init__(self, report: Report, out: Path):
        super().__init__(f"not published: `studio check` found {len(report.errors)} error(s) (--force to publish "
                         "anyway)", out)
        self.report = report


def publish_show(show: Show, out: Path, target: str, dry_run: bool = False, force: bool = False,
                 jobs: int | None = None, on_file: Callable[[int | None], None] | None = None) -> PublishResult:
    """Rebuild the feed and site from every manifest, check them, copy what changed to `target`, ping hubs."""
    out = Path(out)
    if not any(OutputLayout(out).manifests()):
        require_built(out)  # says what is missing (feed.xml is rebuilt below when only it is gone)
    dest = open_target(target, jobs=jobs or show.publish.jobs, settings=show.publish)
    if not dry_run:
        write_site_and_feed(show, out, require_publishable(show))
    report = check_all(show, out, scripts=False)  # a draft script does not block publishing what is built
    if report.errors and not force:
        raise PublishBlocked(report, out)
    result = publish(out, dest, dry_run=dry_run, on_file=on_file)
    if not dry_run and FEED in result.copied:
        result.warnings += push(show)
    return result


def result_lines(result: PublishResult, out: Path, dry_run: bool) -> tuple[list[str], list[str]]:
    """(what was done, warnings): the lines `studio publish` prints."""
    warnings = [f"ignored {rel!r} in the target's publish state: it is not a path inside the target"
                for rel in result.ignored]
    warnings += [f"not published: {rel} is a link leading outside the output dir" for rel in result.skipped]
    warnings += result.warnings
    verb = "would copy" if dry_run else "copied"
    lines = [f"  {verb} {rel}" for rel in result.copied]
    lines += [f"  {'would remove' if dry_run else 'removed'} {rel}" for rel in result.removed]
    lines.append(f"{'Dry run' if dry_run else 'Published'} {out} -> {result.target}: {len(result.copied)} {verb}, "
                 f"{result.unchanged} unchanged, {len(result.removed)} removed")
    return lines, warnings
