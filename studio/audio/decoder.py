"""Decode and measure clips as they arrive, into one staging file, reusing PCM cached by content.

A build hands each clip over the moment the voice engine finishes it (`submit`), so decoding
overlaps synthesis; each returns a future of its part. Decoded PCM (at the episode's rate and layout)
and its measurement are kept per episode in `<cache_dir>/decoded/<slug>/`, keyed by the clip's
bytes: a rebuild after editing one item decodes one clip. After a build, entries it did not use
are removed (`prune`), so the folder holds one episode's PCM (~5 MB a minute at 44.1 kHz mono).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from studio.audio.ffmpeg import Loudness, decode_measured
from studio.audio.mix import Part, Stage
from studio.core.fsutil import TMP_PREFIX

DECODE_JOBS = 2  # ffmpeg decodes at a time (each is short; more only adds start-ups on 2 cores)


class ClipDecoder:
    def __init__(self, rate: int, channels: int, cache_dir: Path | None = None, jobs: int = DECODE_JOBS):
        self.rate, self.channels = rate, channels
        self._tmp = tempfile.TemporaryDirectory(prefix="studio-decode-")
        self.stage = Stage(Path(self._tmp.name) / "stage.raw", rate, channels)
        self.cache_dir = cache_dir
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="studio-decode")
        self._futures: dict[str, Future] = {}  # by cache key
        self.used: set[str] = set()
        self.decoded = self.reused = 0

    def key(self, source: bytes | Path) -> str:
        data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
        return hashlib.sha256(bytes(data) + f"|{self.rate}|{self.channels}".encode()).hexdigest()[:40]

    def submit(self, source: bytes | Path) -> Future:
        """Start decoding (or fetching from the cache) a clip or jingle; the same bytes once."""
        if isinstance(source, (bytes, bytearray)) and not source:  # an item with nothing to say
            done: Future = Future()
            done.set_result(self.stage.add(b""))
            return done
        key = self.key(source)
        self.used.add(key)
        if key not in self._futures:
            self._futures[key] = self._pool.submit(self._part, key, source)
        return self._futures[key]

    def _part(self, key: str, source: bytes | Path) -> Part:
        cached = self._cached(key)
        if cached is not None:
            self.reused += 1
            pcm, loudness = cached
        else:
            pcm, loudness = decode_measured(source, self.rate, self.channels)
            self.decoded += 1
            self._store(key, pcm, loudness)
        return self.stage.append(pcm, loudness, key)

    def _paths(self, key: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{key}.pcm", self.cache_dir / f"{key}.json"

    def _cached(self, key: str) -> tuple[bytes, Loudness] | None:
        paths = self._paths(key)
        try:
            if paths is None:
                return None
            meta = json.loads(paths[1].read_text("utf-8"))
            pcm = paths[0].read_bytes()
            if len(pcm) != meta["bytes"] or hashlib.sha256(pcm).hexdigest() != meta["sha256"]:
                return None  # damaged: decode again
            return pcm, Loudness(float(meta["integrated"]), float(meta["true_peak"]), float(meta["lra"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, key: str, pcm: bytes, loudness: Loudness) -> None:
        paths = self._paths(key)
        if paths is None:
            return
        meta = {"bytes": len(pcm), "sha256": hashlib.sha256(pcm).hexdigest(), "integrated": loudness.integrated,
                "true_peak": loudness.true_peak, "lra": loudness.lra}
        try:  # no fsync: an entry is verified against its hash before use
            paths[0].parent.mkdir(parents=True, exist_ok=True)
            for path, data in ((paths[0], pcm), (paths[1], json.dumps(meta).encode())):
                fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def prune(self) -> None:
        """Remove cached PCM this build did not use (the folder keeps one episode's clips)."""
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return
        for path in self.cache_dir.iterdir():
            if path.name.startswith(TMP_PREFIX) or (path.suffix in (".pcm", ".json") and path.stem not in self.used):
                path.unlink(missing_ok=True)  # unused, or left by a killed build

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.stage.close()
        self._tmp.cleanup()

    def __enter__(self) -> "ClipDecoder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
