"""studio init: a new show that builds as is."""

from __future__ import annotations

import shutil
from pathlib import Path

from studio.errors import StudioError
from studio.templating import DEFAULT_ASSETS, DEFAULT_TEMPLATES

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


def init_show(directory: Path) -> list[Path]:
    directory = Path(directory)
    if (directory / "show.toml").exists():
        raise StudioError("a show already exists here (show.toml)", directory)
    directory.mkdir(parents=True, exist_ok=True)
    created = [directory / "show.toml", directory / "episodes" / "2026-01-05-first.md"]
    created[0].write_text(SHOW_TOML, "utf-8")
    created[1].parent.mkdir(exist_ok=True)
    created[1].write_text(EXAMPLE, "utf-8")
    for src_dir, name in ((DEFAULT_TEMPLATES, "templates"), (DEFAULT_ASSETS, "assets")):
        for src in sorted(src_dir.glob("*")):
            if src.is_file():
                dst = directory / name / src.name
                dst.parent.mkdir(exist_ok=True)
                shutil.copyfile(src, dst)
                created.append(dst)
    return created
