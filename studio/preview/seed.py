"""What `serve --watch` shows before it has built anything: the last builds.

The preview folder keeps the builds of earlier watch sessions. For a script it has no build of (the
first `serve --watch` of a show, say right after `make demo`), the build `studio build` made in
output_dir is copied in, so its pages and email are served at once while the watcher rebuilds it
with the preview's voice in the background. output_dir itself is only read.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

from studio.build.fingerprint import read_index, remember_slug
from studio.build.showwide import write_site_and_feed
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.core.fsutil import leads_out, locked
from studio.core.layout import OutputLayout
from studio.core.manifest import read_manifest
from studio.feed.rules import require_publishable


def last_build(out: Path, script: Path) -> str | None:
    """The slug of the build of `script` in `out` (a manifest that reads), or None."""
    slug = read_index(out).get(str(Path(script).resolve()))
    if not slug or "/" in slug or slug.startswith("."):
        return None
    return slug if read_manifest(OutputLayout(out).episode(slug).manifest)[0] is not None else None


def seed_preview(show: Show, preview: Path, scripts: list[Path], warn: Callable[[str], None]) -> list[str]:
    """Copy output_dir's builds of `scripts` the preview has none of into `preview`; the slugs copied."""
    source = show.out_dir
    if not source.is_dir() or source.resolve() == Path(preview).resolve():
        return []
    copied = []
    with locked(preview):
        for script in scripts:
            slug = last_build(source, script)
            if slug is None or last_build(preview, script) is not None:
                continue
            src, dst = OutputLayout(source).episode(slug).dir, OutputLayout(preview).episode(slug).dir
            if dst.exists() or leads_out(src, source):
                continue
            staging = dst.with_name(f".seeding-{slug}")  # a dot name: never served, replaced whole
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(src, staging, symlinks=True, ignore=shutil.ignore_patterns(".*"))
            os.replace(staging, dst)
            remember_slug(preview, script, slug)
            copied.append(slug)
    if copied:
        try:
            write_site_and_feed(show, preview, require_publishable(show), warn=warn)
        except StudioError as e:  # the builds that follow say it where it belongs
            warn(f"warning: the last builds are copied but the pages are not: {e}")
    return copied
