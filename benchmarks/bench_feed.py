"""Feed + site rebuild time for 1,000 and 2,000 episode manifests.

What is timed is write_site_and_feed(), what every `studio build` runs under the
output-dir lock: load every manifest, refresh stale episode pages (none here,
as after any build), write index.html, archive.html and feed.xml (feedgen).
Manifests are realistic: 9 items of ~1,000 characters with links, ~40 KB of JSON each.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TEXT = ("苹果发布了一篇论文，详细介绍了其在训练多模态大型语言模型方面的努力，重点关注了不同架构组件和数据选择的重要性。" * 18)


def _manifest(n: int) -> dict:
    day = dt.date(2000, 1, 3) + dt.timedelta(weeks=n)
    items, start = [], 0.0
    for k in range(9):
        end = start + 70_000.0
        items.append({
            "title": f"第 {k + 1} 条：{TEXT[:30]}", "text": TEXT, "speech_text": TEXT, "section": f"栏目 {k // 3}",
            "links": [{"url": f"https://example.org/news/{n}/{k}/{j}", "label": "链接"} for j in range(4)],
            "image": None, "kind": "story", "voice": None, "n": k + 1,
            "clip": f"clips/{k + 1:03d}-0123456789.mp3", "clip_bytes": 840_000, "start_ms": start, "end_ms": end,
        })
        start = end + 600
    return {
        "schema": 1, "studio": "0.1.0", "slug": f"weekly-{n:05d}", "title": f"AI 周报第 {n} 期：{TEXT[:20]}",
        "date": day.isoformat(), "number": n, "season": None, "summary": TEXT[:120], "sections": [],
        "tags": [], "image": None, "format": "markdown", "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{n}")),
        "pub_date": dt.datetime.combine(day, dt.time(6), dt.timezone(dt.timedelta(hours=8))).isoformat(),
        "engine": "espeak", "audio": {"file": "episode.mp3", "bytes": 64, "duration_ms": start, "sha256": "0" * 64},
        "email": {"html": "email.html", "text": "email.txt"}, "items": items, "source": f"episodes/{n}.md",
    }


def make_show(root: Path, episodes: int):
    from studio.core.config import load_show

    shutil.copy(REPO / "show.toml", root / "show.toml")
    shutil.copytree(REPO / "assets", root / "assets")
    show = load_show(root / "show.toml")
    for n in range(1, episodes + 1):
        ep = show.out_dir / "episodes" / f"weekly-{n:05d}"
        ep.mkdir(parents=True)
        (ep / "episode.mp3").write_bytes(b"\xff\xfb" * 32)
        (ep / "manifest.json").write_text(json.dumps(_manifest(n), ensure_ascii=False, indent=1), "utf-8")
    return show


def time_publish(episodes: int, repeat: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the best of `repeat` rebuilds.

    CPU time (user + system of this process) is the figure compared with the
    target: it is what the rebuild costs, and unlike wall time it does not grow
    when other jobs share the machine's cores. Wall time is reported beside it.
    """
    from studio.build.showwide import write_site_and_feed
    from studio.feed.rules import require_publishable

    with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        show = make_show(Path(tmp), episodes)
        cover = require_publishable(show)
        write_site_and_feed(show, show.out_dir, cover)  # first run renders every episode page
        cpu = wall = float("inf")
        for _ in range(repeat):
            c0, w0 = time.process_time(), time.perf_counter()
            write_site_and_feed(show, show.out_dir, cover)
            cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
        feed = (show.out_dir / "feed.xml").read_bytes()
        assert feed.count(b"<item>") == episodes
        return cpu, wall


def run(quick: bool = False) -> list[dict]:
    repeat = 2 if quick else 5
    t1k, w1k = time_publish(1000, repeat)
    t2k, w2k = time_publish(2000, repeat)
    return [
        {"case": "feed+site rebuild, 1,000 manifests", "studio": round(t1k, 3), "baseline": 1.0,
         "ratio": round(t1k / 1.0, 3), "target": "<= 1 s", "ok": t1k <= 1.0,
         "note": f"CPU seconds, best of {repeat} (wall {w1k:.3f} s); baseline = the 1 s budget"},
        {"case": "scaling 2,000 vs 1,000 manifests", "studio": round(t2k, 3), "baseline": round(t1k, 3),
         "ratio": round(t2k / t1k, 3), "target": "ratio <= 2.2", "ok": t2k / t1k <= 2.2,
         "note": f"CPU seconds for 2,000 vs 1,000 manifests (wall {w2k:.3f} s vs {w1k:.3f} s)"},
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
