"""Is an episode's build up to date? A hash of everything a build reads, per output.

Each output has its own fingerprint: the **audio** (clips, the episode's MP3, transcripts, the items'
times), the **email** (email.html, .txt, .eml) and the **pages** (the episode's page, the index,
the archive, the feed). Each covers the script, Studio's version, the build options, and the
settings of show.toml that output is made from (parsed, so a comment changes nothing), with the
files it reads: the audio the lexicon, assets/ and the files show.toml and the script's front
matter name (jingles, cover); the email and the pages the templates (the show's and Studio's) and
assets/. Settings no output is made of ([smtp], [ses], [listen], [subscribers], [publish], [limits]) are in
none; [email] only in the email (but its accent, which the pages use too), [site] and [feed] only in
the pages (but the analytics prefix of media links), [speech] and [audio] only in the audio; [listen]
counts for the email only by the unsubscribe link it makes. A show with its own
templates may read any setting in them: then every setting counts for its email and pages.

The three are stored in the manifest as one string (`audio:… email:… pages:…`); an index maps
script paths to slugs so a no-op rebuild can answer without parsing the script or importing any
heavy module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any, Callable

from studio import __version__
from studio.core.config import Show
from studio.core.errors import ScriptError
from studio.core.fsutil import atomic_write_text
from studio.core.layout import OutputLayout
from studio.core.manifest import Manifest, read_manifest
from studio.core.resources import BUILTIN_TEMPLATES

OUTPUTS = ("audio", "email", "pages")
NOTHING_BUILT = ("smtp", "ses", "listen", "subscribers", "publish", "limits", "output_dir")  # sending, serving, checks
RUNNING = ("speech.jobs", "speech.max_jobs", "speech.retries", "speech.retry_backoff", "speech.timeout",
           "speech.cache_dir", "assist.timeout", "assist.cache_dir", "assist.api_key_env")  # how, not what
# show.toml settings each output is not made of (a dotted key leaves out that key, a name its whole table)
NOT_IN = {
    "audio": (*NOTHING_BUILT, *RUNNING, "email", "feed", "site", "description", "owner_email", "base_url",
              "media_base_url", "category", "subcategory", "explicit"),
    "email": (*NOTHING_BUILT, "speech", "audio", "assist", "site", "feed"),  # items, times: the audio's manifest
    "pages": (*NOTHING_BUILT, "speech", "audio", "assist", "email"),
}
# the one setting of a table left out that an output is made with: the accent (links, buttons), the
# analytics prefix (media links)
KEEP = {"email": ("feed.analytics_prefix",), "pages": ("email.accent",)}
DERIVED = {"email": {"unsubscribe_url": lambda show: show.unsubscribe_url}}  # [listen] public_url's one effect
INTERNAL = ("root", "file", "set_keys", "notes")


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


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256(str(root.name).encode())
    _hash_tree(h, root)
    return h.hexdigest()


def _all_settings(show: Show) -> dict[str, Any]:
    """show.toml as parsed (defaults filled in), as plain data."""
    data = {f.name: getattr(show, f.name) for f in dataclasses.fields(show) if f.name not in INTERNAL}
    return json.loads(json.dumps(data, default=lambda o: dataclasses.asdict(o) if dataclasses.is_dataclass(o)
                                 else sorted(o) if isinstance(o, (set, frozenset)) else str(o)))


def _settings(show: Show, data: dict[str, Any], leave_out: tuple[str, ...], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """`data` (all settings) without the keys and tables in `leave_out` but `keep`; `data` is not changed."""
    tables = {key for key in leave_out if "." not in key}
    part = {k: v for k, v in data.items() if k not in tables}
    for key in leave_out:
        table, _, name = key.partition(".")
        if name and isinstance(part.get(table), dict):
            part[table] = {k: v for k, v in part[table].items() if k != name}
    for key in keep:
        table, _, name = key.partition(".")
        part[key] = data[table][name]
    part["set_keys"] = sorted(k for k in show.set_keys if k.split(".")[0] not in leave_out and k not in leave_out)
    return part


def _own_templates(show: Show) -> bool:
    folder = show.path("templates")
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*.j2"))


def build_fingerprint(script: Path, show: Show, options: dict[str, Any]) -> str:
    """The fingerprints of the script's three outputs, as the manifest stores them."""
    return fingerprints_of(script, show)(options)


def fingerprints_of(script: Path, show: Show) -> Callable[[dict[str, Any]], str]:
    """Reads what a build reads (the script, assets/, templates, files show.toml names) once; gives
    `build_fingerprint` for any build options (checking several engines reads the files once)."""
    try:
        script_bytes = Path(script).read_bytes()
    except FileNotFoundError:
        raise ScriptError("file not found", script) from None
    except IsADirectoryError:
        raise ScriptError("is a directory, expected an episode script", script) from None
    script_digest, assets_digest = hashlib.sha256(script_bytes).hexdigest(), _tree_digest(show.path("assets"))
    named = [show.cover, show.speech.lexicon] + [getattr(show.audio, k) for k in ("intro", "outro", "stinger")]
    assets = show.path("assets")
    outside = {str(show.path(rel)): _tree_digest(show.path(rel))  # files show.toml names outside assets/
               for rel in filter(None, named) if not show.path(rel).is_relative_to(assets)}
    templates = [_tree_digest(show.path("templates")), _tree_digest(BUILTIN_TEMPLATES)]
    own = _own_templates(show)
    data = _all_settings(show)

    def for_options(options: dict[str, Any]) -> str:
        common = [__version__, options, script_digest, assets_digest]
        parts = {}
        for output in OUTPUTS:
            leave_out, keep = (NOT_IN[output], KEEP.get(output, ())) if output == "audio" or not own else ((), ())
            reads = [common, _settings(show, data, leave_out, keep),
                     {k: f(show) for k, f in DERIVED.get(output, {}).items()}]
            reads.append(outside if output == "audio" else [templates, outside.get(str(show.path(show.cover)))])
            parts[output] = hashlib.sha256(json.dumps(reads, sort_keys=True, default=str).encode()).hexdigest()
        return _join(parts)

    return for_options


def _join(parts: dict[str, str]) -> str:
    return " ".join(f"{k}:{parts[k]}" for k in OUTPUTS)


def _split(fingerprint: str) -> dict[str, str]:
    """The three parts of a stored fingerprint; {} for one that is not of this form (an older build)."""
    parts = dict(p.partition(":")[::2] for p in fingerprint.split() if ":" in p) if isinstance(fingerprint, str) else {}
    return parts if set(parts) == set(OUTPUTS) else {}


def with_inputs(fingerprint: str, show: Show, inputs: list[str]) -> str:
    """The fingerprint with the audio's extended by files the script named (jingles; paths relative to
    the show, or absolute)."""
    parts = _split(fingerprint)
    h = hashlib.sha256(parts["audio"].encode())
    for rel in inputs:
        path = show.path(rel)
        h.update(str(path).encode() + b"\0")
        try:
            _hash_tree(h, path)
        except OSError:
            h.update(b"\0unreadable")
    return _join(dict(parts, audio=h.hexdigest()))


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


def stale_outputs(script: Path, out: Path, fingerprint: str, show: Show) -> tuple[Manifest, set[str]] | None:
    """The manifest of a complete build of `script` in `out` and which of its outputs ('audio', 'email',
    'pages') are out of date (none: nothing to do), or None when there is no complete build to keep."""
    slug = read_index(out).get(str(Path(script).resolve()))
    if not slug or "/" in slug or slug.startswith("."):
        return None
    layout = OutputLayout(out)
    files = layout.episode(slug)
    manifest = read_manifest(files.manifest)[0]
    if manifest is None or not all(isinstance(p, str) for p in manifest.inputs):
        return None
    built = _split(manifest.fingerprint)
    if not built:
        return None
    now = _split(with_inputs(fingerprint, show, manifest.inputs))
    stale = {k for k in OUTPUTS if built[k] != now[k]}
    if not all(isinstance(it.clip, str) and it.clip for it in manifest.items):
        return None
    audio = files.file(manifest.audio.file)
    if not audio.is_file() or audio.stat().st_size != manifest.audio.bytes:
        return None
    if not all(files.file(it.clip).is_file() for it in manifest.items):
        return None
    if not files.file(manifest.email.html).is_file():
        stale.add("email")
    if not (layout.feed.is_file() and layout.home_page.is_file()) or \
            layout.feed.stat().st_mtime < files.manifest.stat().st_mtime:
        stale.add("pages")
    return manifest, stale


def up_to_date(script: Path, out: Path, fingerprint: str, show: Show) -> Manifest | None:
    """The manifest of a complete, current build of `script` in `out`, or None."""
    found = stale_outputs(script, out, fingerprint, show)
    return found[0] if found and not found[1] else None
