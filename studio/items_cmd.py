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
    rows = [_COLUMNS] + [
        (str(n), _cell(it.section, _MAX["section"]), _cell(it.title, _MAX["title"]),
         str(len(it.speech_text)), str(len(it.links)))
        for n, it in enumerate(episode.items, 1)
    ]
    cell_widths = [[width(cell) for cell in row] for row in rows]  # measured once per cell
    widths = [max(w[i] for w in cell_widths) for i in range(len(_COLUMNS))]
    right = {0, 3, 4}

    def line(cells: tuple[str, ...], cws: list[int]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, cws)):
            pad = " " * (widths[i] - w)
            out.append(pad + cell if i in right else cell + pad)
        return "  ".join(out).rstrip()

    head = f"{episode.title} — {len(episode.items)} items ({episode.format})\n"
    return head + "\n".join(line(r, w) for r, w in zip(rows, cell_widths)) + "\n"


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
