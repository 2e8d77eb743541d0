"""Is the build of a script in an output folder the build of its current text?

`studio send` mails what a build wrote and `studio check` says whether a show is ready, so
both ask the same question: was this script built, into this output folder, from its text,
show.toml, templates and assets as they are now? The answer comes from the build
fingerprint (build/fingerprint.py), never from timestamps: a build records the fingerprint
of everything it read, and the script is current when that fingerprint is the one its
inputs give today. The build options (the voice engine, --format) are part of the
fingerprint; a build may have used the show's default engine, the engine it names in its
manifest, or `auto`, with or without --format, so each of those is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.build.fingerprint import fingerprints_of, read_index, up_to_date, with_inputs
from studio.core.config import Show
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, read_manifest
from studio.speech.engines import AUTO

CURRENT, NOT_BUILT, CHANGED, INCOMPLETE = "current", "not built", "changed", "incomplete"


@dataclass
class BuildState:
    script: Path
    out: Path
    state: str  # CURRENT | NOT_BUILT | CHANGED | INCOMPLETE
    slug: str | None = None
    manifest: Manifest | None = None

    @property
    def current(self) -> bool:
        return self.state == CURRENT

    def reason(self, out_shown: str) -> str | None:
        """What is wrong with the build, in words (None when it is current); `out_shown`: the output folder."""
        if self.state == NOT_BUILT:
            return f"not built in {out_shown}/ yet"
        if self.state == CHANGED:
            return (f"changed since its build in {out_shown}/episodes/{self.slug}/ (the script, show.toml, "
                    "a template or a file they name)")
        if self.state == INCOMPLETE:
            return f"its build in {out_shown}/episodes/{self.slug}/ is incomplete"
        return None


def build_state(script: Path, out: Path, show: Show) -> BuildState:
    """Where `script`'s build in `out` stands (the script must exist)."""
    script, out = Path(script), Path(out)
    slug = read_index(out).get(str(script.resolve()))
    if not slug or "/" in slug or slug.startswith("."):
        return BuildState(script, out, NOT_BUILT)
    manifest = read_manifest(OutputLayout(out).episode(slug).manifest)[0]
    if manifest is None:
        return BuildState(script, out, NOT_BUILT, slug)
    matched = False
    fingerprint_for = fingerprints_of(script, show)  # the files read once for every engine and format tried
    for engine in dict.fromkeys([show.speech.engine, manifest.engine or show.speech.engine, AUTO]):
        for fmt in dict.fromkeys([None, manifest.format or None]):
            fingerprint = fingerprint_for({"engine": engine, "format": fmt})
            if manifest.fingerprint != with_inputs(fingerprint, show, manifest.inputs):
                continue  # not built with these options, or changed since
            if up_to_date(script, out, fingerprint, show) is not None:
                return BuildState(script, out, CURRENT, slug, manifest)
            matched = True
    return BuildState(script, out, INCOMPLETE if matched else CHANGED, slug, manifest)


def script_of(show: Show, out: Path, slug: str, manifest: Manifest) -> Path | None:
    """The script a built episode was last built from: the manifest's `source` (each build writes it), else
    a script the output folder's index maps to the slug; None when neither names an existing file."""
    if manifest.source and show.path(manifest.source).is_file():
        return show.path(manifest.source)
    for path, known in read_index(Path(out)).items():
        if known == slug and Path(path).is_file():
            return Path(path)
    return None
