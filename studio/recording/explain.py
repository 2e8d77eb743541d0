"""`studio items EPISODE --explain` for a script with a recording: each item's place in it.

The alignment is the build's (from the cache when the script and the recording are unchanged
since the last build, else computed now, and kept for the build).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.core.config import find_show_file, load_show
from studio.core.model import Episode
from studio.core.progress import Reporter
from studio.ingest.textwidth import clip
from studio.recording.alignment import HALF, report
from studio.recording.source import recording_for
from studio.recording.speech import align_recording, front_matter_path


def recording_report(episode: Episode, script: Path) -> dict[str, Any] | None:
    """The alignment report of the script's recording; None when it names none."""
    recording = recording_for(episode)
    if recording is None:
        return None
    show = load_show(find_show_file(script.resolve().parent))
    alignment, _ = align_recording(episode, show, recording, Reporter(quiet=True))
    return report(alignment, [it.title for it in episode.items], front_matter_path(recording, script))


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, s = divmod(seconds, 60)
    return f"{int(minutes)}:{s:05.2f}"


def recording_text(rep: dict[str, Any]) -> str:
    lines = [f"Recording {rep['file']} ({_clock(rep['duration_s'])}): {rep['located']} of {len(rep['items'])} items "
             f"located, {rep['script_found']:.0%} of the script (cleaned with {', '.join(rep['filters'])})"]
    if rep["script_found"] < HALF:
        lines.append("Less than half of the script is in this recording: `studio build` stops (the wrong file?)")
    lines.append("  n  start     end       conf  title")
    for it in rep["items"]:
        title = clip(" ".join(it["title"].split()), 48)
        mark = "" if it["located"] else "NOT LOCATED  "
        lines.append(f"{it['n']:>3}  {_clock(it['start_s']):>8}  {_clock(it['end_s']):>8}  {it['confidence']:.2f}  "
                     f"{mark}{title}")
    return "\n".join(lines) + "\n"


def with_recording(explained: str, rep: dict[str, Any] | None, as_json: bool) -> str:
    """`studio items --explain` output with the recording's report added."""
    if rep is None:
        return explained
    if as_json:
        data = json.loads(explained)
        data["recording"] = rep
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    return explained + "\n" + recording_text(rep)
