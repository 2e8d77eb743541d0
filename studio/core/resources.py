"""Studio's built-in files (templates, cover, jingles): package data, found with importlib.resources.

They ship in the wheel as the packages `studio.templates` and `studio.assets` (the repository's
top-level templates/ and assets/ folders), so an installed Studio finds them without a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUILTIN_TEMPLATES = Path(str(files("studio.templates")))
BUILTIN_ASSETS = Path(str(files("studio.assets")))


def builtin_template_names() -> list[str]:
    return sorted(p.name for p in BUILTIN_TEMPLATES.glob("*.j2"))


def builtin_assets() -> list[Path]:
    return sorted(p for p in BUILTIN_ASSETS.iterdir() if p.is_file() and p.suffix in (".jpg", ".png", ".mp3"))
