"""`studio items EPISODE [--format F] [--json]`: show how a script was cut into items."""

from __future__ import annotations

import json
import sys
from operator import itemgetter
from pathlib import Path

from studio.cli.app import load_show_for
from studio.core.errors import StudioError
from studio.core.memory import gc_paused
from studio.core.model import Episode
from studio.ingest import FORMATS, read_episode
from studio.ingest.assist import use_assist
from studio.ingest.source import load_source
from studio.ingest.textwidth import clip, width
from studio.recording.explain import recording_report, with_recording

_COLUMNS = ("n", "section", "title", "chars", "links")
_MAX = {"section": 16, "title": 48}  # a headline is at most 48 columns


def items_command(path: str | Path, fmt: str | None = None, as_json: bool = False, explain: bool = False,
                  show_file: str | None = None) -> int:
    """Print the segmentation of `path`; 0 on success, 1 (with a one-line error) on bad input."""
    with gc_paused():  # no collection while the episode's millions of objects are alive (they hold no cycles)
        return _items(Path(path), fmt, as_json, explain, show_file)


def _items(path: Path, fmt: str | None, as_json: bool, explain: bool, show_file: str | None) -> int:
    try:
        with _show_assist(path, explain, show_file):
            episode = read_episode(path, fmt or None)
        if explain:
            reader = FORMATS[episode.format]
            rows = reader.explain(load_source(path)) if hasattr(reader, "explain") else None
            explained = explain_text(episode, rows, as_json)
            _write(with_recording(explained, recording_report(episode, path), as_json), sys.stdout)
            return 0
    except StudioError as e:
        _write(f"{e}\n", sys.stderr)
        return 1
    _write(episode_json(episode) + "\n" if as_json else items_table(episode), sys.stdout)
    return 0


def _show_assist(path: Path, explain: bool, show_file: str | None):
    """The [assist] of the show (--show, or the one the script belongs to); off for --explain, which
    shows the built-in evidence."""
    try:
        show = None if explain else load_show_for(show_file, path)
    except StudioError:
        show = None  # a script outside a show, or a show.toml `studio check` will report
    if show is None or not show.assist.enabled:
        return use_assist(None, Path("."), _warn)
    return use_assist(show.assist, show.path(show.assist.cache_dir), _warn)


def _warn(msg: str) -> None:
    _write(f"WARNING: {msg}\n", sys.stderr)


def explain_text(episode: Episode, rows: list | None, as_json: bool) -> str:
    """Every sentence (or paragraph), whether it starts an item, and the evidence."""
    if rows is None:
        note = f"{episode.format}: items come from the script's own structure (headings, bullets), not the segmenter"
        return json.dumps({"format": episode.format, "note": note, "units": []}) + "\n" if as_json else note + "\n"
    units = []
    for n, (text, gap) in enumerate(rows):
        unit = {"n": n + 1, "text": text, "starts_item": gap is None or gap.starts,
                "forced": bool(gap and gap.forced), "probability": round(gap.probability, 3) if gap else None}
        if gap is not None:
            unit["evidence"] = {k: round(v, 2) for k, v in gap.strongest(len(gap.evidence))}
            unit["features"] = {k: round(v, 3) for k, v in gap.features.items()}
        units.append(unit)
    if as_json:
        return json.dumps({"format": episode.format, "units": units}, ensure_ascii=False, indent=1) + "\n"
    lines = [f"{episode.title} — {len(rows)} units, {sum(u['starts_item'] for u in units)} items ({episode.format})",
             "n  start  p      evidence (log-odds: + new item, - same item)  |  text"]
    for u, (_text, gap) in zip(units, rows):
        if gap is None:
            mark, p, why = "START", "  -  ", "first"
        else:
            mark = "START" if u["starts_item"] else "  .  "
            p = f"{gap.probability:.2f} "
            why = "host break (blank line / ---)" if gap.forced else " ".join(
                f"{k}{v:+.1f}" for k, v in gap.strongest(4))
        lines.append(f"{u['n']:>3} {mark} {p} {why:46} | {clip(' '.join(u['text'].split()), 60)}")
    return "\n".join(lines) + "\n"


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
    sections: dict[str, tuple[str, int]] = {}  # few distinct sections: each measured once
    rows = [tuple((c, len(c)) for c in _COLUMNS)]
    for n, it in enumerate(episode.items, 1):
        if it.section not in sections:
            sections[it.section] = _cell(it.section, _MAX["section"])
        num, chars, links = str(n), str(len(it.speech_text)), str(len(it.links))
        rows.append(((num, len(num)), sections[it.section], _cell(it.title, _MAX["title"]), (chars, len(chars)),
                     (links, len(links))))
    w0, w1, w2, w3, w4 = (max(column, key=itemgetter(1))[1] for column in zip(*rows))  # column widths
    lines = [  # n, chars and links right-aligned; columns two spaces apart
        f"{' ' * (w0 - n[1])}{n[0]}  {sec[0]}{' ' * (w1 - sec[1])}  {title[0]}{' ' * (w2 - title[1])}  "
        f"{' ' * (w3 - chars[1])}{chars[0]}  {' ' * (w4 - links[1])}{links[0]}".rstrip()
        for n, sec, title, chars, links in rows
    ]
    head = f"{episode.title} — {len(episode.items)} items ({episode.format})\n"
    return head + "\n".join(lines) + "\n"


def _cell(text: str, limit: int) -> tuple[str, int]:
    """The cell text on one line, clipped to `limit` columns, and its width."""
    text = " ".join(text.split())
    columns = width(text)
    if columns <= limit:
        return text, columns
    cell = clip(text, limit)
    return cell, width(cell)


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
