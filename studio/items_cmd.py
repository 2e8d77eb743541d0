"""`studio items EPISODE [--format F] [--json]`: show how a script was cut into items."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from studio.errors import StudioError
from studio.ingest import read_episode
from studio.ingest.textwidth import clip, width
from studio.model import Episode

_COLUMNS = ("n", "section", "title", "chars", "links")
_MAX = {"section": 16, "title": 40}


def items_command(path: str | Path, fmt: str | None = None, as_json: bool = False) -> int:
    """Print the segmentation of `path`; 0 on success, 1 (with a one-line error) on bad input."""
    try:
        episode = read_episode(Path(path), fmt or None)
    except StudioError as e:
        _write(f"{e}\n", sys.stderr)
        return 1
    _write(episode_json(episode) + "\n" if as_json else items_table(episode), sys.stdout)
    return 0


def episode_json(episode: Episode) -> str:
    data = {
        "title": episode.title,
        "summary": episode.summary,
        "format": episode.format,
        "items": [
            {
                "section": it.section,
                "title": it.title,
                "text": it.text,
                "speech_text": it.speech_text,
                "links": [{"url": link.url, "label": link.label} for link in it.links],
                "image": it.image,
            }
            for it in episode.items
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def items_table(episode: Episode) -> str:
    rows = [
        (str(n), it.section, it.title, str(len(it.speech_text)), str(len(it.links)))
        for n, it in enumerate(episode.items, 1)
    ]
    rows = [(n, _cell(sec, _MAX["section"]), _cell(title, _MAX["title"]), chars, links) for n, sec, title, chars, links in rows]
    widths = [max(width(r[i]) for r in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    right = {0, 3, 4}

    def line(cells: tuple[str, ...]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - width(cell))
            out.append(pad + cell if i in right else cell + pad)
        return "  ".join(out).rstrip()

    head = f"{episode.title} — {len(episode.items)} items ({episode.format})\n"
    return head + "\n".join([line(_COLUMNS), *(line(r) for r in rows)]) + "\n"


def _cell(text: str, limit: int) -> str:
    return clip(" ".join(text.split()), limit)


def _write(text: str, stream) -> None:
    """Write without crashing on a narrow terminal encoding or a closed pipe."""
    try:
        stream.write(text)
        stream.flush()
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.buffer.write(text.encode(encoding, errors="replace"))
        stream.flush()
    except BrokenPipeError:
        pass
