"""Speech clips -> the mastered, tagged episode MP3, its chapters and the per-item clip MP3s.

Pipeline: decode + measure every clip and jingle once (staging file, studio.audio.decoder; in a
build while the clips are synthesized) -> level -> predict the master gain (calibrate only when
a limiter is needed) -> lay out the mix straight into the encoder: gain (+ limiter) -> CBR MP3,
measured as it is written (re-encode once if it misses the loudness target) -> cut clips from
it (no re-encode) -> tags, chapters.json.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from studio.audio.calibrate import calibrate, encode_to_spec, excerpt_of
from studio.audio.chapters import chapters_json, chapters_of
from studio.audio.encode import cut_clips
from studio.audio.decoder import ClipDecoder
from studio.audio.loudness import codec_loss_lu, music_gain, plan_master, speech_gains
from studio.audio.mix import Jingles, Layout, Placement, write_mix
from studio.audio.reuse import previous_result, render_key
from studio.audio.settings import AudioSettings, episode_audio
from studio.audio.tags import Chapter, EpisodeTags, write_tags
from studio.config import Show
from studio.email.content import safe_url
from studio.errors import AudioError
from studio.fsutil import atomic_path, atomic_write_text, sha256_file
from studio.model import Episode
from studio.speech.base import Clip

CHAPTERS_FILE = "chapters.json"
CLIP_MARGIN_S = 0.25  # silence kept around an item's speech in its clip file


@dataclass
class AudioResult:
    duration_ms: float
    bytes: int
    sha256: str
    items: list[dict[str, Any]] = field(default_factory=list)  # clip, start_ms, end_ms per item (speech)
    loudness: dict[str, Any] = field(default_factory=dict)
    chapters: list[dict[str, Any]] = field(default_factory=list)
    chapters_file: str = CHAPTERS_FILE
    key: str = ""  # hash of every input (studio.audio.reuse); the manifest keeps it as audio_key
    reused: bool = False


def render_audio(
    episode: Episode, clips: list[Clip], show: Show, ep_dir: Path, cover: Path,
    decoder: ClipDecoder | None = None, on_item: Callable[[], None] | None = None,
) -> AudioResult:
    """The episode MP3, clips and chapters. `decoder` may already hold (some of) the clips,
    decoded while they were synthesized; it is closed here. `on_item` hears of every item mastered."""
    settings = episode_audio(show, episode)
    cfg = settings.config
    if decoder is not None and (decoder.rate, decoder.channels) != (cfg.sample_rate, cfg.channels):
        decoder.close()
        decoder = None
    decoder = decoder or ClipDecoder(cfg.sample_rate, cfg.channels)
    with decoder:
        key = render_key(episode, clips, show, settings, cover)
        previous = previous_result(ep_dir, key)
        if previous is not None:
            audio = previous["audio"]
            return AudioResult(
                duration_ms=audio["duration_ms"], bytes=audio["bytes"], sha256=audio["sha256"],
                items=previous["items"], loudness=previous["loudness"], key=key, reused=True,
            )
        return _render(episode, clips, show, settings, ep_dir, cover, decoder, key, on_item)


def _render(
    episode: Episode, clips: list[Clip], show: Show, settings: AudioSettings, ep_dir: Path, cover: Path,
    decoder: ClipDecoder, key: str, on_item: Callable[[], None] | None,
) -> AudioResult:
    cfg = settings.config
    rate, channels = cfg.sample_rate, cfg.channels
    try:
        parts = decoder.parts([c.audio for c in clips])
    except AudioError as e:
        raise AudioError(f"cannot decode a speech clip: {e.message}", episode.source) from None
    jingles = Jingles(**{k: _add_jingle(decoder, k, p, show) for k, p in _jingle_paths(settings).items()})
    music = [j for j in (jingles.intro, jingles.outro, jingles.stinger) if j]
    if not any(p.size for p in parts + music):
        raise AudioError("the episode has no audio (every item is silent)", episode.source)
    stage = decoder.stage
    gains, speech_lufs = speech_gains(parts, cfg.level_items)
    music_db = music_gain(music, speech_lufs, cfg.music_level)
    layout = Layout(cfg.gap, cfg.music_under, cfg.fade_in, cfg.fade_out, gains, music_db)
    sections = [it.section for it in episode.items]
    aim = cfg.loudness + codec_loss_lu(cfg.bitrate, cfg.channels)  # the mix's loudness before encoding
    master, _ = plan_master(parts, gains, music, music_db, aim, cfg.true_peak)
    slope, calibrated = 1.0, master.limit_db is not None  # a limiter is where prediction misses
    mixed: dict[str, Any] = {}

    def feed(pipe) -> None:
        mixed["placements"], mixed["total"] = write_mix(
            pipe, stage, parts, jingles, layout,
            new_section=lambda i: bool(sections[i]) and sections[i] != sections[i - 1], on_item=on_item,
        )

    out = ep_dir / "episode.mp3"
    with tempfile.TemporaryDirectory(prefix="studio-audio-") as tmp_name, atomic_path(out) as mp3:
        if calibrated:
            excerpt = excerpt_of(stage, parts, gains, music, music_db, Path(tmp_name) / "excerpt.raw")
            master, slope = calibrate(excerpt, rate, channels, master, cfg)
        master, measured, passes = encode_to_spec(feed, rate, channels, master, slope, mp3, cfg)
        placements, total = mixed["placements"], mixed["total"]
        chapters = make_chapters(episode, placements, rate, total)
        items = _clip_files(episode, show, settings, placements, rate, total, mp3, ep_dir, Path(tmp_name), cover)
        write_tags(mp3, _tags(show, episode, cover, episode.title, [Chapter(**c) for c in chapters]))
        size, digest = mp3.stat().st_size, sha256_file(mp3)
    atomic_write_text(ep_dir / CHAPTERS_FILE, chapters_file_text(show, episode, chapters))
    decoder.prune()  # cached PCM of clips this episode no longer has
    loudness = {
        "integrated_lufs": measured.integrated,
        "true_peak_dbtp": measured.true_peak,
        "lra_lu": measured.lra,
        "target_lufs": cfg.loudness,
        "target_true_peak_dbtp": cfg.true_peak,
        "gain_db": round(master.gain_db, 2),
        "limiter": master.limit_db is not None,
        "calibrated": calibrated,
        "passes": passes,
        "standard": "EBU R128 / ITU-R BS.1770-4, measured on episode.mp3",
    }
    return AudioResult(
        duration_ms=total / rate * 1000, bytes=size, sha256=digest, items=items,
        loudness=loudness, chapters=chapters, key=key,
    )


def _add_jingle(decoder: ClipDecoder, key: str, path: Path, show: Show):
    try:
        return decoder.part(path)
    except AudioError as e:
        raise AudioError(f"key 'audio.{key}': cannot decode {path}: {e.message}", show.root / "show.toml") from None


def _jingle_paths(settings: AudioSettings) -> dict[str, Path]:
    return {k: p for k in ("intro", "outro", "stinger") if (p := getattr(settings, k)) is not None}


def _ms(frames: int, rate: int) -> int:
    return round(frames * 1000 / rate)


def make_chapters(episode: Episode, placements: list[Placement], rate: int, total: int) -> list[dict[str, Any]]:
    """One chapter per item with speech (studio.audio.chapters): the first from 0, the others at their speech."""
    items = [
        {"title": it.title, "start_ms": _ms(p.start, rate), "end_ms": _ms(p.end, rate), "links": it.links}
        for it, p in zip(episode.items, placements)
    ]
    return chapters_of(items, _ms(total, rate))


def chapters_file_text(show: Show, episode: Episode, chapters: list[dict[str, Any]]) -> str:
    images = {it.title: url for it in episode.items if (url := safe_url(it.image))}
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
        name = f"clips/{n:03d}-{digest[:10]}.mp3"
        path = ep_dir / name
        if not path.is_file():
            with atomic_path(path) as dst:
                shutil.copyfile(clip, dst)
        items.append({
            "clip": name,
            "clip_bytes": path.stat().st_size,
            "start_ms": round(placed.start / rate * 1000, 1),
            "end_ms": round(placed.end / rate * 1000, 1),
        })
    return items


def _thumbnail(cover: Path, size: int = 600) -> bytes | None:
    """A small copy of the cover for clip files (the full 3000 px art stays in the episode)."""
    if not cover.is_file():
        return None
    from PIL import Image

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
