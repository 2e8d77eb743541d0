"""Crash drills: builds killed with SIGKILL at random moments, concurrent builds, full disks.

After every kill the output dir must hold no feed that references a missing or
partial file; the build run again must complete and equal an uninterrupted build.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import pytest

from studio.audio.ffmpeg import decode_pcm
from studio.core.fsutil import TMP_PREFIX
from tests.conftest import bare_env, make_show, run_studio

SEED = int(os.environ.get("STUDIO_DRILL_SEED", "20261123"))
KILLS = int(os.environ.get("STUDIO_DRILL_KILLS", "20"))

EPISODE = """+++
title = "演练 <第{n}期>"
date = 2026-02-0{n}
number = {n}
slug = "drill-{n}"
+++

""" + "".join(f"## 第{i}条新闻\n\n这是第{i}条新闻。它有两句话。\n\n" for i in range(1, 7))


def write_episode(root: Path, n: int) -> Path:
    path = root / "episodes" / f"drill-{n}.md"
    path.write_text(EPISODE.format(n=n), "utf-8")
    return path


def build_cmd(script: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "studio", "build", str(script), "--engine", "espeak", "--quiet", *extra]


def snapshot(out: Path, slug: str) -> dict:
    """What a listener gets: manifest, decoded audio samples, feed entries."""
    ep = out / "episodes" / slug
    manifest = json.loads((ep / "manifest.json").read_text("utf-8"))
    pcm = decode_pcm(ep / manifest["audio"]["file"], 44100, 1)
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    entries = sorted((e.id, e.title, e.enclosures[0]["href"], e.enclosures[0]["length"]) for e in feed.entries)
    return {"manifest": manifest, "pcm": hashlib.sha256(pcm).hexdigest(), "feed": entries}


def assert_consistent(out: Path) -> None:
    """The feed (if any) references only complete files; every manifest's files are whole."""
    feed_path = out / "feed.xml"
    if feed_path.exists():
        feed = feedparser.parse(feed_path.read_bytes())
        assert not feed.bozo, feed.bozo_exception
        for entry in feed.entries:
            (enc,) = entry.enclosures
            rel = enc["href"].split("/weekly/", 1)[1].split("?")[0]
            assert (out / rel).is_file(), f"feed references missing {rel}"
            assert (out / rel).stat().st_size == int(enc["length"]), f"feed references partial {rel}"
    for mpath in out.glob("episodes/*/manifest.json"):
        manifest = json.loads(mpath.read_text("utf-8"))  # a torn manifest fails here
        audio = mpath.parent / manifest["audio"]["file"]
        assert audio.stat().st_size == manifest["audio"]["bytes"]
        for item in manifest["items"]:
            assert (mpath.parent / item["clip"]).stat().st_size == item["clip_bytes"]


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(TMP_PREFIX)]


@pytest.fixture
def drill_show(tmp_path: Path) -> Path:
    (tmp_path / "show").mkdir()
    root = make_show(tmp_path / "show")
    write_episode(root, 1)
    write_episode(root, 2)
    return root


def test_sigkill_at_random_moments_then_rebuild(drill_show: Path, tmp_path: Path):
    root, env = drill_show, bare_env()
    script = root / "episodes" / "drill-1.md"
    cache = root / ".studio-cache"

    # the reference: an uninterrupted cold build, timed
    ref_out = tmp_path / "ref"
    start = time.perf_counter()
    subprocess.run(build_cmd(script, "--out", str(ref_out)), cwd=root, env=env, check=True)
    full = time.perf_counter() - start
    reference = snapshot(ref_out, "drill-1")

    out = root / "public"
    rng = random.Random(SEED)
    kills: list[float] = []
    for attempt in range(3 * KILLS):
        if len(kills) == KILLS:
            break
        at = rng.uniform(0.05, full * 0.9)
        shutil.rmtree(cache, ignore_errors=True)  # every killed run is a cold build
        if attempt % 2 == 0:
            shutil.rmtree(out, ignore_errors=True)  # a first build killed ...
        proc = subprocess.Popen(build_cmd(script, "--force"), cwd=root, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        try:
            proc.wait(timeout=at)
            full = min(full, time.perf_counter() - started)  # warm runs are faster than the reference
            continue  # finished before the kill point: draw another
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # ... or a rebuild over a finished one
            proc.wait()
            kills.append(at)
        if out.exists():
            assert_consistent(out)
        done = subprocess.run(build_cmd(script), cwd=root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"rebuild after kill at {at:.2f}s failed: {done.stderr}"
        assert snapshot(out, "drill-1") == reference, f"rebuild after kill at {at:.2f}s differs"
        assert temp_files(out) == []
    print(f"crash drill seed={SEED} full build={full:.2f}s killed at {sorted(round(k, 2) for k in kills)}")
    assert len(kills) == KILLS, f"only {len(kills)} runs could be killed before they finished"


def test_concurrent_builds_both_reach_the_feed(drill_show: Path):
    env = bare_env()
    procs = [
        subprocess.Popen(build_cmd(drill_show / "episodes" / f"drill-{n}.md"), cwd=drill_show, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in (1, 2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    feed = feedparser.parse((drill_show / "public" / "feed.xml").read_bytes())
    assert sorted(e.title for e in feed.entries) == ["演练 <第1期>", "演练 <第2期>"]
    assert_consistent(drill_show / "public")


def _tree(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def test_disk_full_keeps_previous_outputs(drill_show: Path):
    env = bare_env()
    script = drill_show / "episodes" / "drill-1.md"
    subprocess.run(build_cmd(script), cwd=drill_show, env=env, check=True)
    out = drill_show / "public"
    before = _tree(out)
    script.write_text(script.read_text("utf-8").replace("它有两句话", "它有两句话，现在更长了"), "utf-8")

    def small_disk():  # every write past 64 KiB fails with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = subprocess.run(build_cmd(script), cwd=drill_show, env=env, capture_output=True, text=True,
                          preexec_fn=small_disk)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "too large" in lines[0].lower() or "no space" in lines[0].lower() or "ffmpeg" in lines[0]
    assert _tree(out) == before
    assert temp_files(out) == []


def test_failed_build_leaves_previous_episode_and_feed_untouched(drill_show: Path):
    """The Edge stand-in refuses every request: the build fails, nothing changes."""
    from devtools.edge_server import EdgeStandIn, Fault

    script = drill_show / "episodes" / "drill-1.md"
    with open(drill_show / "show.toml", "a", encoding="utf-8") as f:
        f.write("\n[speech]\nretry_backoff = 0.01\n")  # the refusals' retries in milliseconds, not 7 s
    env = bare_env()
    subprocess.run(build_cmd(script), cwd=drill_show, env=env, check=True)  # a good build first
    out = drill_show / "public"
    before = _tree(out)
    script.write_text(script.read_text("utf-8").replace("它有两句话", "它有三句话"), "utf-8")
    with EdgeStandIn(faults=[Fault(kind="403", first=None)]) as server:
        env["STUDIO_EDGE_WSS_URL"] = server.url
        proc = subprocess.run(
            [sys.executable, "-m", "studio", "build", str(script), "--engine", "edge", "--quiet"],
            cwd=drill_show, env=env, capture_output=True, text=True, timeout=300,
        )
        assert server.requests > 0
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "403" in lines[0], proc.stderr
    assert _tree(out) == before
    assert temp_files(out) == []
