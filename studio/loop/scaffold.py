"""studio init: a new show that builds as is."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.fsutil import atomic_write_text
from studio.core.resources import BUILTIN_TEMPLATES, builtin_assets, builtin_template_names

SHOW_TOML = """\
# The show. Relative paths are relative to this file.
title = "我的周报"
description = "每周一期的新闻综述。"
author = "主持人"
owner_email = "host@example.com"
base_url = "https://example.com/podcast/"
language = "zh-CN"
cover = "assets/cover.jpg"
category = "Technology"
explicit = false
voice = "zh-CN-XiaoxiaoNeural"
output_dir = "public"

[audio]
intro = "assets/intro.mp3"   # "" for none
outro = "assets/outro.mp3"
stinger = ""                 # e.g. "assets/stinger.mp3": a short sound between sections
gap = 0.6                    # seconds between items
music_under = 1.5            # seconds the intro music fades under the first words
loudness = -16.0             # LUFS (EBU R128); -19 is usual for mono
true_peak = -1.0             # dBTP
bitrate = 96                 # kbps CBR; e.g. 128 or 192 with channels = 2
channels = 1
"""

EXAMPLE = """\
+++
title = "第一期"
date = 2026-01-05
number = 1
summary = "欢迎收听第一期。"
+++

## 开场

大家好，欢迎收听我们的第一期节目。

## 第一条新闻

这里写第一条新闻的内容。[链接](https://example.com/news/1)

## 结束语

这期节目就到这里，感谢收听！
"""


GITIGNORE = """\
# Built output, previews and caches: rebuilt by `studio build`
/public/
/.studio-preview/
/.studio-cache/
# The subscriber store and the send log hold readers' addresses: never commit them
/.studio-subscribers.sqlite*
/.studio-sendlog.sqlite*
"""


def init_show(directory: Path) -> list[Path]:
    """show.toml, an example episode, the cover and jingles, and a .gitignore.

    Templates are not copied: the built-in ones are used until the host overrides one
    with `studio template copy NAME` (a copy would hide every later upgrade).
    """
    directory = Path(directory)
    if (directory / "show.toml").exists():
        raise StudioError("a show already exists here (show.toml)", directory)
    directory.mkdir(parents=True, exist_ok=True)
    created = [directory / "show.toml", directory / "episodes" / "2026-01-05-first.md"]
    atomic_write_text(created[0], SHOW_TOML)
    created[1].parent.mkdir(exist_ok=True)
    atomic_write_text(created[1], EXAMPLE)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        atomic_write_text(ignore, GITIGNORE)
        created.append(ignore)
    for src in builtin_assets():
        dst = directory / "assets" / src.name
        dst.parent.mkdir(exist_ok=True)
        if not dst.exists():
            shutil.copyfile(src, dst)
            created.append(dst)
    return created


def copy_template(show_root: Path, name: str, force: bool = False) -> Path:
    """Copy one built-in template into the show's templates/ so the host can change it."""
    names = builtin_template_names()
    if name not in names and name + ".j2" in names:
        name += ".j2"
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else f" (one of: {', '.join(names)})"
        raise StudioError(f"no built-in template {name!r}{hint}")
    dst = Path(show_root) / "templates" / name
    if dst.exists() and not force:
        raise StudioError("the show already overrides this template (--force to replace it)", dst)
    dst.parent.mkdir(exist_ok=True)
    atomic_write_text(dst, (BUILTIN_TEMPLATES / name).read_text("utf-8"))
    return dst
