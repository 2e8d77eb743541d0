"""A recorded episode's speech: the host's recording cut into item clips, timed by alignment.

What `studio build` does instead of synthesis when the script names a recording: speak the
script with the offline voice (the reference), align it with the recording, stop if less
than half of the script is in it, clean the recording up (studio.recording.take) and cut it
into one clip per item with its words' boundaries (studio.recording.cut). The audio stage then
levels, joins, masters and encodes those clips exactly as it does synthesized ones.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.audio.settings import AudioSettings
from studio.core.config import Show
from studio.core.errors import AudioError
from studio.core.model import Episode
from studio.core.progress import Reporter
from studio.recording.alignment import HALF, Alignment, alignment_key, cached, remember, report
from studio.recording.cut import RECORDING_ENGINE, item_clips
from studio.recording.features import FRAME_S, normalised
from studio.recording.locate import locate
from studio.recording.reference import REFERENCE_ENGINE, Reference, build_reference
from studio.recording.take import (
    analyse_recording,
    cleanup_filters,
    decode_cleaned,
    mask_of,
    noise_floor_db,
    voiced_runs,
)
from studio.speech.plan import item_label
from studio.speech.synthesize import Speech

__all__ = ["RecordedSpeech", "align_recording", "recorded_speech", "front_matter_path"]


@dataclass
class RecordedSpeech(Speech):
    recording: dict[str, Any] = field(default_factory=dict)  # studio.recording.alignment.report


def front_matter_path(recording: Path, script: Path | None) -> str:
    """The recording as the front matter would name it: relative to the script's folder when inside it."""
    if script is not None:
        try:
            return os.path.relpath(recording, Path(script).resolve().parent)
        except ValueError:
            pass
    return str(recording)


def script_found(reference: Reference, items) -> float:
    voiced = [len(span.voiced(reference.features)) for span in reference.items]
    total = sum(voiced)
    return sum(n for n, p in zip(voiced, items) if p.located) / total if total else 0.0


def align_recording(episode: Episode, show: Show, recording: Path, reporter: Reporter) -> tuple[Alignment, Reference]:
    """The alignment of `recording` with the script (from the cache when neither changed)."""
    cache_dir = show.path(show.speech.cache_dir)
    with reporter.task(f"Reference speech ({REFERENCE_ENGINE})", len(episode.items)) as task:
        reference = build_reference(episode, show, cache_dir, warn=reporter.warn, advance=task.advance)
    key = alignment_key(recording, reference)
    folder = cache_dir / "recording"
    alignment = cached(folder, episode.slug, key)
    if alignment is not None:
        return alignment, reference
    with reporter.task(f"Aligning {recording.name}", 2) as task:
        features = analyse_recording(recording, show.limits.recording_minutes)
        task.advance()
        placed, path, null = locate(reference, normalised(features))
        task.advance()
    floor = noise_floor_db(features)
    alignment = Alignment(
        items=placed, duration_s=len(features) * FRAME_S, script_found=script_found(reference, placed),
        null_score=null, noise_floor_db=floor, sound=voiced_runs(features), frames=len(features),
        filters=cleanup_filters(floor),
    )
    remember(folder, episode.slug, key, alignment)
    return alignment, reference


def recorded_speech(episode: Episode, show: Show, recording: Path, settings: AudioSettings,
                    reporter: Reporter) -> RecordedSpeech:
    """The item clips of `recording`; an AudioError naming it when less than half of the script is in it."""
    alignment, reference = align_recording(episode, show, recording, reporter)
    summary = report(alignment, [it.title for it in episode.items], front_matter_path(recording, episode.source))
    if alignment.script_found < HALF:
        raise AudioError(f"only {alignment.script_found:.0%} of the script was found in this recording "
                         "(another episode's, or the wrong file?)", recording)
    warnings = [f"{recording.name}: {item_label(episode, k)} was not found in the recording "
                f"(confidence {p.confidence:.2f}); whatever was said for it stays in the item before"
                for k, p in enumerate(alignment.items) if not p.located]
    for w in warnings:
        reporter.warn(w)
    reporter.info(f"Recording {recording.name} ({alignment.duration_s / 60:.1f} min): {summary['located']} of "
                  f"{len(episode.items)} items located, {alignment.script_found:.0%} of the script; "
                  f"cleaned with {', '.join(alignment.filters)}")
    cfg = settings.config
    sound = mask_of(alignment.sound, alignment.frames)
    with tempfile.TemporaryDirectory(prefix="studio-recording-") as tmp:
        pcm = Path(tmp) / "cleaned.raw"
        frames = decode_cleaned(recording, pcm, cfg.sample_rate, cfg.channels, alignment.filters)
        clips = item_clips(alignment.items, reference.items, sound, pcm, cfg.sample_rate, cfg.channels, frames)
    return RecordedSpeech(
        clips=clips, voices=[[RECORDING_ENGINE] if c.audio else [] for c in clips], engine=RECORDING_ENGINE,
        warnings=warnings, recording=summary,
    )
