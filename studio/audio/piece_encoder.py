"""Encode pieces (studio.audio.pieces) in parallel, each checked on its MP3, kept by content.

Each piece is mixed straight into its own encoder and its MP3 measured on the way (loudness
blocks and true peak, studio.audio.blocks). Where the prediction is known to miss (a limiter
in the chain, or a piece that measures off its predicted loudness or over the ceiling), that
piece alone is encoded again with the measured correction. Finished pieces are kept under
`<cache>/encoded/<slug>/<key>.mp3` (+ .json: measurement, placements, hash) so a rebuild
reuses every piece whose plan did not change; `prune` drops what a build did not use.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from studio.audio.blocks import Blocks
from studio.audio.calibrate import calibrate, middle_of
from studio.audio.encode import encode_master
from studio.audio.loudness import Master, correct
from studio.audio.mix import Jingles, Placement, Stage, write_piece
from studio.audio.mp3 import Encoded, read_encoded
from studio.audio.pieces import PiecePlan, Planner
from studio.core.config import AudioConfig
from studio.core.errors import AudioError
from studio.core.fsutil import TMP_PREFIX, sha256_file

ENCODE_JOBS = 2
ENCODE_TRIES = 3  # encodes of one piece at most
PIECE_TOLERANCE_LU = 1.0  # a piece is encoded again only when this far off (the episode's total is held to 0.5)
MIN_BLOCKS = 20  # a piece shorter than 2 s of sound is not corrected for loudness (too few blocks)
STALE_TMP_S = 3600  # a temp file older than this is no other build's work in progress
LIMITED_SLOPE = 1.5  # dB of gain per LU gained when a limiter is in the chain (at least)


@dataclass
class PieceResult:
    plan: PiecePlan
    mp3: Path
    encoded: Encoded
    blocks: Blocks
    placements: list[Placement]  # in the piece, frames
    frames: int  # PCM frames the piece holds
    master: Master  # what the encoder applied in the end
    encodes: int  # encodes this build ran for it (0: reused)


@dataclass
class Calibration:
    """What limiting costs in this episode, measured on one piece (`key`) before it was encoded."""

    key: str
    cost_db: float  # gain to add to a limited piece's planned gain
    ceiling_db: float  # the limiter's ceiling (lowered when the chain peaked over)
    slope: float  # dB of gain per LU gained through the limiter

    def to_json(self) -> dict:
        return {"key": self.key, "cost_db": self.cost_db, "ceiling_db": self.ceiling_db, "slope": self.slope}

    @classmethod
    def from_json(cls, data) -> "Calibration | None":
        try:
            return cls(str(data["key"]), float(data["cost_db"]), float(data["ceiling_db"]), float(data["slope"]))
        except (TypeError, KeyError, ValueError):
            return None


class PieceEncoder:
    def __init__(self, stage: Stage, jingles: Jingles, planner: Planner, cfg: AudioConfig,
                 folder: Path | None, jobs: int = ENCODE_JOBS, calibration: Calibration | None = None):
        self.stage, self.jingles, self.planner, self.cfg = stage, jingles, planner, cfg
        self._tmp = None if folder is not None else tempfile.TemporaryDirectory(prefix="studio-pieces-")
        self.folder = folder if folder is not None else Path(self._tmp.name)
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="studio-encode")
        self._futures: dict[tuple[str, float], Future] = {}
        self._lock = threading.Lock()
        self.used: set[str] = set()
        self.calibration = calibration  # the last build's, until this build's first limited piece shows
        self._checked = False  # this round's first limited piece was seen

    def begin(self) -> None:
        """A new round of plans (the render after the encode-ahead): its first limited piece decides
        the calibration again, so the episode never depends on what was guessed ahead."""
        self._checked = False

    def submit(self, plan: PiecePlan, offset_db: float = 0.0) -> Future:
        """The piece, reused or encoded; `offset_db` moves its gain (a second pass over the whole).
        Plans come in episode order: the first limited one is calibrated here, before any is encoded."""
        if plan.master.limit_db is not None and not self._checked:
            self._checked = True
            if self.calibration is None or self.calibration.key != plan.key:
                self.calibration = self._calibrate(plan)
        with self._lock:
            self.used.add(plan.key)
            slot = (plan.key, round(offset_db, 3))
            if slot not in self._futures:
                self._futures[slot] = self._pool.submit(self._piece, plan, offset_db, self.calibration)
            return self._futures[slot]

    def _piece(self, plan: PiecePlan, offset_db: float, calibration: Calibration | None) -> PieceResult:
        if offset_db == 0.0:
            kept = self._load(plan)
            if kept is not None:
                return kept
        return self.encode(plan, offset_db, calibration)

    def encode(self, plan: PiecePlan, offset_db: float = 0.0, calibration: Calibration | None = None) -> PieceResult:
        """Encode a piece from its plan (plus, when limited, what limiting costs) and correct it
        while its MP3 misses its predicted loudness or peaks over the ceiling."""
        limited = plan.master.limit_db is not None
        start = plan.master.gain_db + offset_db
        master, slope = Master(start, plan.master.limit_db), 1.0
        if limited and calibration is not None:
            master = Master(start + calibration.cost_db, min(plan.master.limit_db, calibration.ceiling_db))
            slope = calibration.slope
        elif limited:
            slope = LIMITED_SLOPE
        target = plan.predicted_lufs + offset_db
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".mp3", dir=self.folder)
        os.close(fd)
        tmp = Path(name)
        try:
            for attempt in range(1, ENCODE_TRIES + 1):
                written: dict = {}

                def feed(pipe) -> None:
                    written["placements"], written["frames"] = self._write(plan, pipe)

                blocks = encode_master(feed, self.stage.rate, self.stage.channels, master, tmp, self.cfg.bitrate)
                fix = self._correction(target, master, blocks, slope)
                if fix is None or attempt == ENCODE_TRIES:
                    break
                master = fix
            final = self.folder / f"{plan.key}.mp3"
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        result = PieceResult(plan, final, read_encoded(final), blocks, written["placements"], written["frames"],
                             master, attempt)
        self._store(result)
        return result

    def _write(self, plan: PiecePlan, out) -> tuple[list[Placement], int]:
        return write_piece(out, self.stage, plan.mix, self.jingles, self.planner.layout, self.planner.new_section)

    def _calibrate(self, plan: PiecePlan) -> Calibration:
        """Run the piece's gain + limiter chain on its middle at a few gains (studio.audio.calibrate)."""
        rate, channels = self.stage.rate, self.stage.channels
        with tempfile.TemporaryDirectory(prefix="studio-calibrate-") as tmp:
            raw = Path(tmp) / "piece.raw"
            with open(raw, "wb") as f:
                self._write(plan, f)
            excerpt = middle_of(raw, self.stage.frame, rate, Path(tmp) / "excerpt.raw")
            calibrated, slope = calibrate(excerpt, rate, channels, plan.master, self.cfg)
        ceiling = min(plan.master.limit_db, calibrated.limit_db if calibrated.limit_db is not None else 0.0)
        return Calibration(plan.key, max(0.0, calibrated.gain_db - plan.master.gain_db), ceiling,
                           max(LIMITED_SLOPE, slope))

    def _correction(self, target: float, master: Master, blocks: Blocks, slope: float) -> Master | None:
        """A corrected master when the MP3 misses its predicted loudness or peaks over the ceiling."""
        measured = blocks.loudness
        if sum(1 for v in blocks.momentary if v > -70) < MIN_BLOCKS:
            measured.integrated = target  # too short to judge its loudness: only its peak
        return correct(master, measured, target, self.cfg.true_peak, slope if master.limit_db is not None else 1.0,
                       PIECE_TOLERANCE_LU)

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.mp3", self.folder / f"{key}.json"

    def _store(self, r: PieceResult) -> None:
        mp3, meta = self._paths(r.plan.key)
        data = {
            "bytes": mp3.stat().st_size, "sha256": sha256_file(mp3), "frames": r.frames,
            "placements": [[p.start, p.end] for p in r.placements], "blocks": r.blocks.to_json(),
            "master": [r.master.gain_db, r.master.limit_db],
        }
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=self.folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, meta)

    def _load(self, plan: PiecePlan) -> PieceResult | None:
        mp3, meta = self._paths(plan.key)
        try:
            data = json.loads(meta.read_text("utf-8"))
            if mp3.stat().st_size != data["bytes"] or sha256_file(mp3) != data["sha256"]:
                return None
            placements = [Placement(int(a), int(b)) for a, b in data["placements"]]
            if len(placements) != len(plan.mix.parts):
                return None
            gain, limit = data["master"]
            return PieceResult(plan, mp3, read_encoded(mp3), Blocks.from_json(data["blocks"]), placements,
                               int(data["frames"]), Master(float(gain), limit), 0)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def result(self, plan: PiecePlan, offset_db: float = 0.0) -> PieceResult:
        """The finished piece; encoded again here if its file went missing since (another build pruned it)."""
        try:
            done = self.submit(plan, offset_db).result()
        except ValueError as e:
            raise AudioError(f"the encoder wrote an unusable MP3 piece: {e}") from None
        if not done.mp3.is_file():
            return self.encode(plan, offset_db, self.calibration)
        return done

    def prune(self) -> None:
        """Remove kept pieces this build did not use (the folder holds one episode's pieces)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.startswith(TMP_PREFIX):
                if time.time() - path.stat().st_mtime > STALE_TMP_S:  # left by a killed build
                    path.unlink(missing_ok=True)
            elif path.suffix in (".mp3", ".json") and path.stem not in self.used:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._tmp is not None:
            self._tmp.cleanup()
