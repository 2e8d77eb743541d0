"""Speech clips -> the mastered, tagged episode MP3, its chapters and the per-item clip MP3s.

Pipeline: decode + measure every clip and jingle once (studio.audio.decoder; in a build while
the clips are synthesized) -> plan the pieces: runs of items, each levelled from its clips'
measurements (studio.audio.pieces) -> mix each piece straight into its own encoder, two at a
time, measuring the MP3 on the way and re-encoding only a piece that misses (a limiter in the
chain), keeping every piece by content (studio.audio.piece_encoder) -> join_pieces the pieces into
one MP3 with one Info header (studio.audio.mp3); the episode's loudness is computed from the
pieces' blocks (studio.audio.blocks) and a second pass runs only if it misses the target ->
cut the item clips from it (no re-encode) -> tags, chapters.json.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from studio.audio.blocks import combine
from studio.audio.chapters import Timed, chapters_json, chapters_of
from studio.audio.decoder import ClipDecoder
from studio.audio.encode import cut_clips
from studio.audio.loudness import TOLERANCE_LU
from studio.audio.mastering import Mastering
from studio.audio.mix import Placement
from studio.audio.mp3 import DECODER_DELAY, ENCODER_DELAY, join_pieces
from studio.audio.piece_encoder import PieceEncoder, PieceResult
from studio.audio.pieces import PiecePlan
from studio.audio.reuse import previous_result, render_key
from studio.audio.settings import AudioSettings, episode_audio
from studio.audio.tags import Chapter, EpisodeTags, write_tags
from studio.core.config import Show
from studio.core.errors import AudioError
from studio.core.fsutil import atomic_path, atomic_write_text, sha256_file
from studio.core.layout import CHAPTERS, audio_name, clip_name
from studio.core.links import https_link
from studio.core.model import Episode
from studio.speech.base import Clip

CLIP_MARGIN_S = 0.25  # silence kept around an item's speech in its clip file
MASTER_SLACK_DB = 0.3  # keep the master gain guessed before the clips were in when this close


@dataclass
class AudioResult:
    duration_ms: float
    bytes: int
    sha256: str
    items: list[dict[str, Any]] = field(default_factory=list)  # clip, start_ms, end_ms per item (speech)
    loudness: dict[str, Any] = field(default_factory=dict)
    chapters: list[dict[str, Any]] = field(default_factory=list)
    chapters_file: str = CHAPTERS
    file: str = ""  # the episode MP3, in the episode's folder (studio.core.layout.audio_name)
    key: str = ""  # hash of every input (studio.audio.reuse); the manifest keeps it as audio_key
    reused: bool = False
    work: dict[str, int] = field(default_factory=dict)  # pieces reused / re-encoded, encodes run


def render_audio(
    episode: Episode, clips: list[Clip], show: Show, ep_dir: Path, cover: Path,
    mastering: Mastering | None = None, on_item: Callable[[], None] | None = None,
) -> AudioResult:
    """The episode MP3, clips and chapters. `mastering` may already hold (some of) the clips,
    decoded and encoded while they were synthesized; it is closed here. `on_item` hears of every item mastered."""
    settings = episode_audio(show, episode)
    cfg = settings.config
    if mastering is not None and (mastering.decoder.rate, mastering.decoder.channels) != (cfg.sample_rate, cfg.channels):
        mastering.close()
        mastering = None
    if mastering is None:
        decoder = ClipDecoder(cfg.sample_rate, cfg.channels)
        mastering = Mastering(episode, settings, decoder, None, show.file)
    with mastering:
        key = render_key(episode, clips, show, settings, cover)
        previous = previous_result(ep_dir, key)
        if previous is not None and previous["audio"].file == audio_name(episode.slug):
            audio = previous["audio"]
            return AudioResult(
                duration_ms=audio.duration_ms, bytes=audio.bytes, sha256=audio.sha256 or "", file=audio.file,
                items=previous["items"], loudness=previous["loudness"], key=key, reused=True,
            )
        return _render(episode, clips, show, settings, ep_dir, cover, mastering, key, on_item)


def _render(
    episode: Episode, clips: list[Clip], show: Show, settings: AudioSettings, ep_dir: Path, cover: Path,
    mastering: Mastering, key: str, on_item: Callable[[], None] | None,
) -> AudioResult:
    cfg = settings.config
    rate = cfg.sample_rate
    for i, clip in enumerate(clips):
        mastering.clip(i, clip.audio)
    mastering.ahead()  # (in a build it started with the speech) encodes while the rest is decoded
    jingles = mastering.jingles()
    parts = [mastering.part(i) for i in range(len(clips))]
    master_db = 0.0
    if cfg.level_items:  # the gain the pieces encoded ahead used, unless the clips show it is off
        guess, exact = mastering.guess_master(jingles), mastering.exact_master(jingles, parts)
        master_db = guess if abs(guess - exact) <= MASTER_SLACK_DB else exact
    mastering.stop_ahead()
    planner = mastering.planner(jingles, master_db, parts)
    encoder = mastering.encoder(jingles, planner)
    encoder.begin()
    plans: list[PiecePlan] = []
    for plan in planner.plan(len(clips), mastering.part):
        encoder.submit(plan)  # encoding starts while the rest is planned
        plans.append(plan)
    music = [j for j in (jingles.intro, jingles.outro, jingles.stinger) if j]
    if not any(p.size for plan in plans for p in plan.mix.parts) and not any(j.size for j in music):
        raise AudioError("the episode has no audio (every item is silent)", episode.source)
    results = _finish(plans, encoder, on_item)
    measured = combine([r.blocks for r in results])
    passes = 1
    off = cfg.loudness - measured.integrated
    if abs(off) > TOLERANCE_LU:  # the prediction missed for the whole episode: everything once more
        passes = 2
        results = _finish(plans, encoder, None, off)
        measured = combine([r.blocks for r in results])
    placements, total = _timeline(results)

    out = ep_dir / audio_name(episode.slug)
    with tempfile.TemporaryDirectory(prefix="studio-audio-") as tmp_name, atomic_path(out) as mp3:
        with open(mp3, "wb") as f:
            join_pieces([r.encoded for r in results], f, _padding(results[-1]))
        chapters = make_chapters(episode, placements, rate, total)
        items = _clip_files(episode, show, settings, placements, rate, total, mp3, ep_dir, Path(tmp_name), cover)
        tags = _tags(show, episode, cover, episode.title, [Chapter(**c) for c in chapters])
        tags.length_ms = round(_ms(total, rate))
        write_tags(mp3, tags)
        size, digest = mp3.stat().st_size, sha256_file(mp3)
    atomic_write_text(ep_dir / CHAPTERS, chapters_file_text(show, episode, chapters))
    mastering.prune()  # kept PCM and pieces this episode no longer has
    mastering.remember(planner.master_db)
    limited = any(r.master.limit_db is not None for r in results)
    loudness = {
        "integrated_lufs": measured.integrated,
        "true_peak_dbtp": measured.true_peak,
        "lra_lu": measured.lra,
        "target_lufs": cfg.loudness,
        "target_true_peak_dbtp": cfg.true_peak,
        "gain_db": round(planner.master_db, 2),
        "limiter": limited,
        "calibrated": limited and encoder.calibration is not None,
        "pieces": len(results),
        "passes": passes,
        "standard": "EBU R128 / ITU-R BS.1770-4, measured on the encoded MP3",
    }
    work = {  # what this build did (not in the manifest: the same episode, however it was made)
        "pieces_reused": sum(1 for r in results if r.encodes == 0),
        "pieces_corrected": sum(1 for r in results if r.encodes > 1),
        "encodes": sum(r.encodes for r in results),
    }
    return AudioResult(
        duration_ms=total / rate * 1000, bytes=size, sha256=digest, items=items, file=out.name,
        loudness=loudness, chapters=chapters, key=key, work=work,
    )


def _finish(plans: list[PiecePlan], encoder: PieceEncoder, on_item: Callable[[], None] | None,
            offset_db: float = 0.0) -> list[PieceResult]:
    if offset_db:
        for plan in plans:
            encoder.submit(plan, offset_db)
    results = []
    for plan in plans:
        results.append(encoder.result(plan, offset_db))
        for _ in plan.items:
            if on_item is not None:
                on_item()
    return results


def _timeline(results: list[PieceResult]) -> tuple[list[Placement], int]:
    """Every item's place in the joined stream, and its length (frames): piece p's audio starts
    where its MP3 frames start, its encoder delay later; the join_pieces keeps only the first delay."""
    placements: list[Placement] = []
    start = 0
    for r in results:
        enc = r.encoded
        if enc.delay + DECODER_DELAY != ENCODER_DELAY or not 0 <= _padding(r) < 4096:
            raise AudioError("the MP3 encoder framed a piece unexpectedly (delay or length): cannot join_pieces it")
        placements += [Placement(start + p.start, start + p.end) for p in r.placements]
        last_start, last = start, r
        start += enc.frames * enc.samples_per_frame
    return placements, last_start + last.frames


def _padding(r: PieceResult) -> int:
    """Samples after a piece's audio in its last frame (from what it holds: the encoder's own
    figure is off by a few samples for some lengths)."""
    return r.encoded.frames * r.encoded.samples_per_frame - r.encoded.delay - r.frames


def _ms(frames: int, rate: int) -> float:
    """Milliseconds as the manifest keeps them (0.1 ms): chapters made from either agree."""
    return round(frames * 1000 / rate, 1)


def make_chapters(episode: Episode, placements: list[Placement], rate: int, total: int) -> list[dict[str, Any]]:
    """One chapter per item with speech (studio.audio.chapters): the first from 0, the others at their speech."""
    items = [Timed(it.title, _ms(p.start, rate), _ms(p.end, rate), it.links) for it, p in zip(episode.items, placements)]
    return chapters_of(items, _ms(total, rate))


def chapters_file_text(show: Show, episode: Episode, chapters: list[dict[str, Any]]) -> str:
    images = {it.title: url for it in episode.items if (url := https_link(it.image))}
    return chapters_json(show.author, show.title, episode.title, chapters, images)


def _clip_files(
    episode: Episode, show: Show, settings: AudioSettings, placements: list[Placement], rate: int,
    total: int, mp3: Path, ep_dir: Path, tmp: Path, cover: Path,
) -> list[dict[str, Any]]:
    """clips/NNN-<hash>.mp3 per item: its speech cut from the mastered MP3, tagged."""
    margin = min(CLIP_MARGIN_S, settings.config.gap / 2) * rate
    end_s = total / rate
    windows, temps = [], []
    for n, placed in enumerate(placements):
        before = 0 if (n == 0 and settings.intro) else margin
        start = max(0.0, (placed.start - before) / rate)
        end = min(end_s, (placed.end + margin) / rate)
        if end - start < 0.1:
            start, end = max(0.0, start - 0.05), min(end_s, end + 0.05)
        windows.append((start, end))
        temps.append(tmp / f"clip{n:04d}.mp3")
    cut_clips(mp3, windows, temps)
    thumb = _thumbnail(cover)
    items = []
    for n, (item, placed, clip) in enumerate(zip(episode.items, placements, temps), start=1):
        tags = _tags(show, episode, thumb, item.title, [])
        tags.track = n
        write_tags(clip, tags)
        digest = sha256_file(clip)
        name = clip_name(n, digest[:10])
        path = ep_dir / name
        if not path.is_file():
            with atomic_path(path) as dst:
                shutil.copyfile(clip, dst)
        items.append({
            "clip": name,
            "clip_bytes": path.stat().st_size,
            "start_ms": _ms(placed.start, rate),
            "end_ms": _ms(placed.end, rate),
        })
    return items


def _thumbnail(cover: Path, size: int = 600) -> bytes | None:
    """A small copy of the cover for clip files (the full 3000 px art stays in the episode)."""
    if not cover.is_file():
        return None
    from PIL import Image  # lazy: Pillow loads only when an image is read

    with Image.open(cover) as img:
        img.draft("RGB", (size, size))
        img = img.convert("RGB")
        img.thumbnail((size, size))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _tags(show: Show, episode: Episode, cover: Path | bytes | None, title: str, chapters: list[Chapter]) -> EpisodeTags:
    return EpisodeTags(
        title=title,
        artist=show.author,
        album=show.title,
        date=episode.date.isoformat(),
        track=episode.number,
        description=episode.summary,
        cover=cover,
        language=show.language,
        copyright=show.copyright,
        chapters=chapters,
    )
