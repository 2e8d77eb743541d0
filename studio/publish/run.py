"""The publish flow, the same for every target: what changed, in which order, what to prune."""

from __future__ import annotations

from pathlib import Path

from studio.core.config import PublishConfig
from studio.core.fsutil import locked
from studio.core.layout import OutputLayout
from studio.publish.files import clean_state, in_order, source_files, source_hashes
from studio.publish.folder import FolderTarget
from studio.publish.s3 import S3Target
from studio.publish.target import STATE, PublishError, PublishResult, Target, UnreadableState

# The publish targets by the scheme of --to (a plain path is a folder): the one registry `open_target` and
# the CLI's help use. Each maker takes the --to text, the upload jobs and the show's [publish] section.
TARGETS = {
    "s3": (S3Target.open, "s3://BUCKET/PREFIX: Amazon S3 or a compatible store (R2, B2, MinIO, Wasabi)"),
    "": (FolderTarget.open, "DIR: a folder, e.g. a mounted web root"),
}


def require_built(out: Path) -> None:
    layout = OutputLayout(out)
    if not any(layout.manifests()) or not layout.feed.is_file():
        raise PublishError("nothing to publish: no built episodes and feed.xml here (run `studio build` first)", out)


def open_target(spec: str, jobs: int = 8, settings: PublishConfig | None = None) -> Target:
    """The target `spec` names: a folder path or SCHEME://... for a registered scheme."""
    scheme = spec.split("://", 1)[0] if "://" in spec else ""
    if scheme not in TARGETS:
        known = " or ".join(help_ for _, help_ in TARGETS.values())
        raise PublishError(f"unknown publish target {spec!r}: use {known}")
    make, _ = TARGETS[scheme]
    return make(spec, jobs, settings or PublishConfig())


def publish(out: Path, target: Target, dry_run: bool = False, on_file=None) -> PublishResult:
    """Changed files (by sha256 against the target's recorded state and sizes) in publish order,
    feed.xml last; files of removed episodes pruned after the new feed is in place; state last.
    `on_file(total)` is called once with the number of files to send, then `on_file(None)` per file sent."""
    out = Path(out).resolve()
    require_built(out)
    check = getattr(target, "check_source", None)
    if check:
        check(out)
    result = PublishResult(target=target.name)
    with locked(out), target.locked():
        files, result.skipped = source_files(out)
        hashes = source_hashes(out, files, result.warnings)
        recorded = target.load_state()
        if isinstance(recorded, UnreadableState):
            result.warnings.append(f"{STATE} in {target.name}: {recorded.problem}; treated as absent "
                                   "(every file is sent again)")
            recorded = {}
        state, result.ignored = clean_state(recorded)
        present = target.sizes(files)
        changed = []
        for rel in files:
            if state.get(rel) == hashes[rel] and present.get(rel) == (out / rel).stat().st_size:
                result.unchanged += 1
            else:
                changed.append(rel)
        changed = in_order(changed)
        gone = sorted(set(state) - set(files))
        if dry_run:
            result.copied, result.removed = changed, gone
            return result
        tick = on_file or (lambda n: None)
        tick(len(changed))
        try:
            target.write(out, changed, hashes, lambda: tick(None))
        finally:
            result.warnings += getattr(target, "notes", [])
        result.copied = changed
        result.removed = target.remove(gone)
        target.save_state({rel: hashes[rel] for rel in files})
    return result
