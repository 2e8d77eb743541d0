"""Publish a show of 200 generated episodes to a local S3 server (moto), then republish after one changed.

Studio (`studio.publish`, boto3, --jobs 8) against an `aws s3 sync`-style
baseline in the same run: boto3 uploading every file with 8 threads (into
its own bucket, so neither listing grows with the other). Rows:
the first publish (Studio hashes, orders and records state: near the
baseline) and the republish after one episode changed (Studio uploads only
what changed: a handful of objects instead of all of them).

    python -m benchmarks publish [--quick]      (or python benchmarks/bench_publish.py [--quick])
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import row, without  # noqa: E402

BUCKET, BASELINE, JOBS = "bench", "bench-baseline", 8


def _episode(out: Path, n: int, audio: bytes) -> None:
    import datetime as dt

    slug = f"weekly-{n:04d}"
    ep = out / "episodes" / slug
    shutil.rmtree(ep / "clips", ignore_errors=True)  # a rebuild prunes replaced clips
    (ep / "clips").mkdir(parents=True)
    (ep / "episode.mp3").write_bytes(audio)
    items = []
    for k in range(3):
        clip = f"clips/{k + 1:03d}-{hashlib.sha256(audio[k::3]).hexdigest()[:10]}.mp3"
        (ep / clip).write_bytes(audio[k * 1000:(k + 1) * 1000 + 20_000])
        items.append({"n": k + 1, "title": f"Story {n}.{k}", "text": "Text " * 40, "section": "News",
                      "links": [{"url": f"https://example.org/{n}/{k}", "label": "source"}],
                      "clip": clip, "start_ms": k * 60_000.0, "end_ms": k * 60_000.0 + 59_000})
    (ep / "transcript.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n", "utf-8")
    (ep / "chapters.json").write_text(json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"}]}))
    day = dt.date(2020, 1, 6) + dt.timedelta(weeks=n)
    (ep / "manifest.json").write_text(json.dumps({
        "schema": 1, "slug": slug, "title": f"Episode {n}", "date": day.isoformat(), "number": n,
        "summary": "A weekly summary", "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{slug}")),
        "pub_date": dt.datetime.combine(day, dt.time(6), dt.timezone.utc).isoformat(), "engine": "espeak",
        "audio": {"file": "episode.mp3", "bytes": len(audio), "duration_ms": 180_000.0,
                  "sha256": hashlib.sha256(audio).hexdigest()},
        "items": items, "transcripts": [{"file": "transcript.vtt", "type": "text/vtt"}], "chapters": "chapters.json",
    }), "utf-8")


def _make_show(root: Path, episodes: int, audio_kb: int):
    from studio.build.showwide import write_site_and_feed
    from studio.core.config import load_show
    from studio.feed.rules import require_publishable

    shutil.copy(REPO / "show.toml", root / "show.toml")
    shutil.copytree(REPO / "assets", root / "assets")
    show = load_show(root / "show.toml")
    for n in range(1, episodes + 1):
        _episode(show.out_dir, n, os.urandom(audio_kb * 1024))
    write_site_and_feed(show, show.out_dir, require_publishable(show))
    return show


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto server did not start")


def _baseline(client, out: Path) -> tuple[float, int]:
    """`aws s3 sync`-style without state: every file, 8 threads, Content-Type guessed."""
    from studio.core.media_types import content_type

    files = [p for p in out.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(out).parts)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        list(pool.map(lambda p: client.upload_file(str(p), BASELINE, "show/" + p.relative_to(out).as_posix(),
                                                   ExtraArgs={"ContentType": content_type(p.name)}), files))
    return time.perf_counter() - t0, len(files)


def _studio(show) -> tuple[float, int]:
    """Like the baseline, timed with the client already made (boto3 loads its S3 model once per process)."""
    from studio.publish.run import publish
    from studio.publish.s3 import S3Target

    target = S3Target(f"s3://{BUCKET}/show", jobs=JOBS)
    t0 = time.perf_counter()
    result = publish(show.out_dir, target)
    return time.perf_counter() - t0, len(result.copied)


def run(quick: bool = False) -> list[dict]:
    if without("boto3", "moto", "flask"):
        return []
    import boto3  # lazy: the aws extra

    from studio.build.showwide import write_site_and_feed
    from studio.feed.rules import require_publishable

    episodes, audio_kb = (12, 64) if quick else (200, 256)
    moto, endpoint = _start_moto()
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                            "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")}
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=endpoint, AWS_CONFIG_FILE=str(tmp / "none"),
                      AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"))
    try:
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.create_bucket(Bucket=BASELINE)
        show = _make_show(tmp, episodes, audio_kb)
        first, first_n = _studio(show)
        base_first, base_n = _baseline(client, show.out_dir)
        # one episode re-rendered: new audio, manifest, page; the feed and index follow
        _episode(show.out_dir, episodes // 2, os.urandom(audio_kb * 1024))
        write_site_and_feed(show, show.out_dir, require_publishable(show))
        again, again_n = _studio(show)
        base_again, base_again_n = _baseline(client, show.out_dir)
    finally:
        moto.kill()
        moto.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    size = f"{episodes} episodes, {base_n} files"
    return [
        row(f"publish to S3, first ({size}), s", first, base_first, "<= 1.5x boto3 upload-all",
            first <= 1.5 * base_first, f"{first_n} vs {base_n} objects uploaded"),
        row(f"republish after 1 episode changed ({size}), s", again, base_again, "<= 0.25x and <= 10 objects",
            again <= 0.25 * base_again and again_n <= 10, f"{again_n} vs {base_again_n} objects uploaded"),
    ]


if __name__ == "__main__":
    from benchmarks.__main__ import print_table

    print_table(run(quick="--quick" in sys.argv))
