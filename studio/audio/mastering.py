"""The audio stage of one episode across a build, fed while its clips are synthesized.

Each clip is handed over the moment the voice engine finishes it (`clip`): it is decoded and
measured at once (studio.audio.decoder) and, with items levelled (the default: every gain is
known from the clip itself), the encode-ahead thread plans the pieces in order and encodes each
as soon as its clips are in (studio.audio.pieces, studio.audio.piece_encoder). When the last
clip arrives, most of the episode is already encoded; `studio.audio.render` plans the same
pieces again from the final clips and gets those (the same plan is the same piece), encoding
only what is left. Whatever the thread guessed wrong (an engine fallback restarts the clips) is
simply never used.
"""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import Future
from pathlib import Path

from studio.audio.decoder import ClipDecoder
from studio.audio.ffmpeg import ffmpeg_exe
from studio.audio.loudness import codec_loss_lu, music_gain, power_mean
from studio.audio.mix import Jingles, Part
from studio.audio.piece_encoder import Calibration, PieceEncoder
from studio.audio.pieces import Planner
from studio.audio.settings import JINGLES, AudioSettings
from studio.core.config import Show
from studio.core.errors import AudioError
from studio.core.fsutil import atomic_write_text
from studio.core.model import Episode

STATE_FILE = "state.json"
CJK_PER_S = 4.5  # characters a voice speaks per second, roughly (a guess only sets where to start)
LATIN_PER_S = 14.0


def speech_seconds(text: str) -> float:
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    other = sum(1 for ch in text if ch.isalnum()) - cjk
    return cjk / CJK_PER_S + other / LATIN_PER_S


def _read_state(folder: Path | None) -> dict:
    try:
        state = json.loads((folder / STATE_FILE).read_text("utf-8")) if folder is not None else {}
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


class _Stopped(Exception):
    pass


class Mastering:
    def __init__(self, episode: Episode, settings: AudioSettings, decoder: ClipDecoder, folder: Path | None,
                 show_file: Path | None = None):
        self.episode, self.settings, self.cfg = episode, settings, settings.config
        self.decoder, self.folder, self.show_file = decoder, folder, show_file
        self._jingles = {k: decoder.submit(p) for k in JINGLES if (p := getattr(settings, k)) is not None}
        self._slots: list[Future | None] = [None] * len(episode.items)
        self._cond = threading.Condition()
        self._stopped = False
        self._every_item_sounds = False
        self._thread: threading.Thread | None = None
        self._encoder: PieceEncoder | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.state = _read_state(folder)  # what the last build of this episode settled on

    @property
    def aim(self) -> float:
        """The mix's loudness before encoding (the codec takes some away)."""
        return self.cfg.loudness + codec_loss_lu(self.cfg.bitrate, self.cfg.channels)

    def clip(self, index: int, audio: bytes) -> None:
        """Item `index`'s clip is ready (again, after an engine fallback: the newest counts)."""
        future = self.decoder.submit(audio)
        with self._cond:
            self._slots[index] = future
            self._cond.notify_all()

    def part(self, index: int) -> Part:
        with self._cond:
            future = self._slots[index]
        if future is None:
            raise AudioError(f"no clip for item {index + 1}", self.episode.source)
        try:
            return future.result()
        except AudioError as e:
            raise AudioError(f"cannot decode a speech clip: {e.message}", self.episode.source) from None

    def jingles(self) -> Jingles:
        found = {}
        for key, future in self._jingles.items():
            try:
                found[key] = future.result()
            except AudioError as e:
                path = getattr(self.settings, key)
                raise AudioError(f"key 'audio.{key}': cannot decode {path}: {e.message}", self.show_file) from None
        return Jingles(**found)

    def planner(self, jingles: Jingles, master_db: float = 0.0, parts: list[Part] | None = None) -> Planner:
        """The piece planner. Levelled items: the jingles' level follows the aim. Otherwise `parts`
        (every item's) set the speech level, and the master gain is theirs (`master_db` ignored)."""
        cfg = self.cfg
        music = [j for j in (jingles.intro, jingles.outro, jingles.stinger) if j]
        if cfg.level_items:
            music_db = music_gain(music, self.aim, cfg.music_level)
        else:
            voiced = [p for p in parts or [] if not p.silent]
            music_db = music_gain(music, power_mean([(p.loudness.integrated, p.size) for p in voiced]), cfg.music_level)
        context = f"{cfg.sample_rate}|{cfg.channels}|{cfg.bitrate}|{Path(ffmpeg_exe()).name}"
        sections = [it.section for it in self.episode.items]
        planner = Planner(cfg, jingles, music_db, master_db, sections, codec_loss_lu(cfg.bitrate, cfg.channels),
                          self.aim, context)
        if not cfg.level_items:
            planner.master_db = self._master_for(planner, [(p, p.size) for p in parts or []])
        return planner

    def _master_for(self, planner: Planner, speech: list[tuple[Part | None, float]]) -> float:
        """The master gain that brings the mix to the aim: speech (a part, or None for speech at the
        aim, with its size in bytes) and the jingles as often as they play, levels combined by power."""
        levels = [(self.aim if p is None else p.loudness.integrated + planner.gain(p), size)
                  for p, size in speech if size and (p is None or not p.silent)]
        if not levels:
            return 0.0
        spoken = [size > 0 for _, size in speech]
        j = planner.jingles
        plays = [(j.intro, 1), (j.outro, 1)]
        if j.stinger:
            starts = sum(1 for i, s in enumerate(spoken) if s and any(spoken[:i]) and planner.new_section(i))
            plays.append((j.stinger, starts))
        levels += [(m.loudness.integrated + planner.music_db, m.size * n) for m, n in plays if m and n and not m.silent]
        return round(self.aim - power_mean(levels), 2)

    def guess_master(self, jingles: Jingles) -> float:
        """The master gain before the clips are in: the last build's, else one from the text's length."""
        if _number(self.state.get("master_db")) is not None:
            return float(self.state["master_db"])
        frame = 2 * self.cfg.channels * self.cfg.sample_rate
        speech = [(None, speech_seconds(it.speech_text) * frame) for it in self.episode.items]
        if not any(size for _, size in speech):
            return 0.0
        return self._master_for(self.planner(jingles), speech)

    def exact_master(self, jingles: Jingles, parts: list[Part]) -> float:
        return self._master_for(self.planner(jingles), [(p, p.size) for p in parts])

    def encoder(self, jingles: Jingles, planner: Planner) -> PieceEncoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = PieceEncoder(self.decoder.stage, jingles, planner, self.cfg, self.folder,
                                             calibration=Calibration.from_json(self.state.get("calibration")))
            return self._encoder

    def remember(self, master_db: float) -> None:
        """Keep the master gain and the limiter's calibration for the next build of this episode."""
        if self.folder is None or self._encoder is None:
            return
        calibration = self._encoder.calibration
        state = {"master_db": master_db, "calibration": calibration.to_json() if calibration else None}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.folder / STATE_FILE, json.dumps(state))
        except OSError:
            pass  # only costs time next build

    def ahead(self, every_item_sounds: bool = False) -> None:
        """Start encoding pieces while the clips are synthesized (only when every gain is known early).
        `every_item_sounds`: each clip will have audio (a voice engine's always do), so a piece is
        encoded without waiting for the clip after it."""
        self._every_item_sounds = every_item_sounds
        if self.cfg.level_items and self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run_ahead, name="studio-ahead", daemon=True)
            self._thread.start()

    def _run_ahead(self) -> None:
        try:
            jingles = self.jingles()
            planner = self.planner(jingles, self.guess_master(jingles))
            encoder = self.encoder(jingles, planner)
            sounds = (lambda i: True) if self._every_item_sounds else None
            for plan in planner.plan(len(self._slots), self._wait, sounds):
                encoder.submit(plan)
        except Exception:  # noqa: BLE001 - a guess gone wrong: the render does it properly and reports
            return

    def _wait(self, index: int) -> Part:
        with self._cond:
            while self._slots[index] is None and not self._stopped:
                self._cond.wait()
            if self._stopped:
                raise _Stopped
            future = self._slots[index]
        return future.result()

    def stop_ahead(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    def prune(self) -> None:
        self.decoder.prune()
        if self._encoder is not None:
            self._encoder.prune()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.stop_ahead()
        if self._encoder is not None:
            self._encoder.close()
        self.decoder.close()

    def __enter__(self) -> "Mastering":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def episode_mastering(show: Show, episode: Episode, settings: AudioSettings) -> Mastering:
    """Mastering for a build: decoded PCM and encoded pieces kept under the clip cache, per episode;
    the jingles start decoding at once."""
    cache = show.path(show.speech.cache_dir)
    cfg = settings.config
    decoder = ClipDecoder(cfg.sample_rate, cfg.channels, cache / "decoded" / episode.slug)
    return Mastering(episode, settings, decoder, cache / "encoded" / episode.slug, show.file)
