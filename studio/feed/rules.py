"""Publishing rules shared by `studio build` (first problem is an error) and `studio check` (all reported)."""

from __future__ import annotations

import warnings
from pathlib import Path

from studio.core.config import Show
from studio.core.config.checks import is_https_or_loopback
from studio.core.errors import StudioError
from studio.core.layout import OutputLayout
from studio.core.manifest import read_manifest

COVER_MIN, COVER_MAX = 1400, 3000
COVER_FORMATS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}


class PublishRuleError(StudioError):
    """The show or an episode breaks a rule podcast directories enforce."""


def https_problem(show: Show) -> str | None:
    """base_url must be https; plain http only to this machine (127.0.0.1, localhost, [::1]: tests, previews)."""
    if not is_https_or_loopback(show.base_url):
        return (f"key 'base_url': must be an https:// URL (podcast apps and Apple Podcasts require https; "
                f"http only on 127.0.0.1, localhost or [::1], for tests and previews), got {show.base_url!r}")
    return None


def cover_problems(cover: Path) -> list[str]:
    """Apple Podcasts artwork rules: JPEG or PNG, RGB, square, 1400-3000 px."""
    from PIL import Image, UnidentifiedImageError  # lazy: Pillow loads only when an image is read

    if not cover.is_file():
        return [f"key 'cover': file not found: {cover}"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(cover) as im:
                fmt, (w, h), mode = im.format, im.size, im.mode
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return [f"cover art {cover}: far too many pixels (a decompression bomb?); "
                f"use a square {COVER_MIN}-{COVER_MAX} px JPEG or PNG"]
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return [f"cover art {cover}: not an image Pillow can read (use a JPEG or PNG)"]
    problems = []
    if fmt not in COVER_FORMATS:
        problems.append(f"cover art {cover}: must be JPEG or PNG, got {fmt}")
    elif cover.suffix.lower() not in COVER_FORMATS[fmt]:
        problems.append(f"cover art {cover}: the file is {fmt} but named {cover.suffix!r}")
    if w != h or not COVER_MIN <= w <= COVER_MAX:
        problems.append(f"cover art {cover}: must be square, {COVER_MIN}-{COVER_MAX} px, got {w}x{h}")
    if mode not in ("RGB", "RGBA", "P", "L"):
        problems.append(f"cover art {cover}: must use the RGB colour space, got {mode}")
    return problems


def number_problems(number: int | None, season: int | None) -> list[str]:
    problems = []
    if number is not None and number < 1:
        problems.append(f"episode number must be 1 or more, got {number}")
    if season is not None and season < 1:
        problems.append(f"season must be 1 or more, got {season}")
    return problems


def source_key(show: Show, script: Path) -> str:
    """How a manifest names its script: relative to the show when inside it."""
    script = Path(script).resolve()
    try:
        return script.relative_to(show.root.resolve()).as_posix()
    except ValueError:
        return str(script)


def slug_owner(show: Show, out: Path, slug: str, script: Path) -> str | None:
    """Another, still existing script that already publishes `slug` in `out`, if any."""
    manifest = read_manifest(OutputLayout(out).episode(slug).manifest)[0]
    other = manifest.source if manifest else None
    if not other or other == source_key(show, script):
        return None
    other_path = Path(other) if Path(other).is_absolute() else show.root / other
    return other if other_path.is_file() else None  # a renamed script may take its slug back


def require_publishable(show: Show) -> Path:
    """The cover path, after checking base_url and the cover; raises on the first problem."""
    where = show.file
    problem = https_problem(show)
    if problem:
        raise PublishRuleError(problem, where)
    cover = show.path(show.cover)
    problems = cover_problems(cover)
    if problems:
        raise PublishRuleError(problems[0], where)
    return cover


def require_valid_episode(show: Show, episode, script: Path, out: Path) -> None:
    problems = number_problems(episode.number, episode.season)
    if problems:
        raise PublishRuleError(f"front matter: {problems[0]}", script)
    owner = slug_owner(show, out, episode.slug, script)
    if owner:
        raise PublishRuleError(
            f"duplicate slug {episode.slug!r}: {owner} already publishes it (set another 'slug' in the front matter)",
            script,
        )
