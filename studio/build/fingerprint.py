"""Is an episode's build up to date? A hash of everything a build reads.

The fingerprint covers the script, show.toml, the show's templates/ and assets/,
the lexicon and every file show.toml names (wherever they are), Studio's default
templates and version, the build options, and the files the script itself named
last time (jingles in its front matter: the manifest's `inputs`). It is stored in
the manifest; an index maps script paths to slugs so a no-op rebuild can answer
without parsing the script or importing any heavy module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from studio import __version__
from studio.core.config import Show
from studio.core.errors import ScriptError
from studio.core.fsutil import atomic_write_text
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, read_manifest
from studio.core.resources import BUILTIN_TEMPLATES


def _hash_tree(h: "hashlib._Hash", root: Path) -> None:
    if root.is_file():
        h.update(root.name.encode() + b"\0")
        _hash_file(h, root)
        return
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p.relative_to(root)).encode() + b"\0")
                _hash_file(h, p)


def _hash_file(h: "hashlib._Hash", path: Path) -> None:
    """A file's bytes into `h` a MiB at a time (a host's recording can be gigabytes)."""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)


def build_fingerprint(script: Path, show: Show, options: dict[str, Any]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([__version__, options], sort_keys=True, default=str).encode())
    try:
        h.update(Path(script).read_bytes())
    except FileNotFoundError:
        raise ScriptError("file not found", script) from None
    except IsADirectoryError:
        raise ScriptError("is a directory, expected an episode script", script) from None
    for p in (show.file, show.path("templates"), show.path("assets"), BUILTIN_TEMPLATES):
        h.update(str(p.name).encode())
        _hash_tree(h, p)
    files = [show.cover, show.speech.lexicon] + [getattr(show.audio, k) for k in ("intro", "outro", "stinger")]
    assets = show.path("assets")
    for rel in filter(None, files):  # files show.toml names outside assets/ (hashed above)
        if not show.path(rel).is_relative_to(assets):
            h.update(str(show.path(rel)).encode() + b"\0")
            _hash_tree(h, show.path(rel))
    return h.hexdigest()


def with_inputs(fingerprint: str, show: Show, inputs: list[str]) -> str:
    """The fingerprint extended by files the script named (paths relative to the show, or absolute)."""
    h = hashlib.sha256(fingerprint.encode())
    for rel in inputs:
        path = show.path(rel)
        h.update(str(path).encode() + b"\0")
        try:
            _hash_tree(h, path)
        except OSError:
            h.update(b"\0unreadable")
    return h.hexdigest()


def read_index(out: Path) -> dict[str, str]:
    """script path -> slug; {} when the index is missing, corrupt or not a JSON object of strings."""
    try:
        data = json.loads(OutputLayout(out).script_index.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def remember_slug(out: Path, script: Path, slug: str) -> None:
    """Record script -> slug (call under the output-dir lock)."""
    index = read_index(out)
    key = str(Path(script).resolve())
    if index.get(key) != slug:
        index[key] = slug
        atomic_write_text(OutputLayout(out).script_index, json.dumps(index, ensure_ascii=False, indent=1))


def up_to_date(script: Path, out: Path, fingerprint: str, show: Show) -> Manifest | None:
    """The manifest of a complete, current build of `script` in `out`, or None."""
    slug = read_index(out).get(str(Path(script).resolve()))
    if not slug or "/" in slug or slug.startswith("."):
        return None
    layout = OutputLayout(out)
    files = layout.episode(slug)
    manifest = read_manifest(files.manifest)[0]
    if manifest is None or not all(isinstance(p, str) for p in manifest.inputs):
        return None
    if manifest.fingerprint != with_inputs(fingerprint, show, manifest.inputs):
        return None
    if not all(isinstance(it.clip, str) and it.clip for it in manifest.items):
        return None
    audio = files.file(manifest.audio.file)
    if not audio.is_file() or audio.stat().st_size != manifest.audio.bytes:
        return None
    needed = [files.file(manifest.email.html), layout.feed, layout.home_page] + [files.file(it.clip) for it in manifest.items]
    if not all(p.is_file() for p in needed):
        return None
    if layout.feed.stat().st_mtime < files.manifest.stat().st_mtime:
        return None
    return manifest
