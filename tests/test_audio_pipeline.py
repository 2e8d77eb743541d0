"""Mastering in one pass: clips decoded while the voice engine still speaks, decoded PCM reused
by content after an edit (and never when damaged), one encode, the loudness target on the MP3."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from studio.audio.decoder import ClipDecoder
from studio.speech.synthesize import synthesize_episode
from tests.audio_helpers import loudness
from tests.conftest import make_show, run_studio
from tests.speech_support import episode, show_at, stand_in  # noqa: F401 (fixture)

SCRIPT = """\
+++
title = "流水线测试"
date = 2026-02-20
number = 5
+++

## 第一条

英伟达今天发布了新一代芯片，性能提升一倍，价格保持不变。

## 第二条

微软宣布完成收购，交易金额十亿美元，监管机构已经批准。

## 第三条

这个编辑器速度很快，而且免费，支持所有常见的系统。
"""


def test_clips_are_decoded_while_later_ones_are_still_being_synthesized(tmp_path, stand_in):  # noqa: F811
    stand_in.latency = 0.4
    texts = [f"第{k}条新闻：英伟达发布了新的芯片，性能提升了{k}倍。" for k in range(1, 6)]
    show = show_at(tmp_path / "show")
    handed: list[float] = []
    with ClipDecoder(44100, 1) as decoder:
        futures = []

        def on_clip(index, clip):
            handed.append(time.monotonic())
            futures.append(decoder.submit(clip.audio))

        synthesize_episode(episode(texts, tmp_path), show, "edge", tmp_path / "cache", jobs=1, on_clip=on_clip)
        done_at = time.monotonic()
        ready = [f.done() for f in futures]
        parts = [f.result() for f in futures]
    assert len(handed) == len(texts)
    assert done_at - handed[0] >= 3 * 0.4  # the first clip was handed over long before the last
    assert all(ready[:-1]), ready  # ... and decoded by the time speech ended
    assert all(p.size > 0 and p.loudness.integrated > -40 for p in parts)


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory):
    root = make_show(tmp_path_factory.mktemp("pipeline"))
    script = root / "episodes" / "2026-02-20-pipe.md"
    script.write_text(SCRIPT, "utf-8")
    build = ["build", str(script), "--engine", "espeak", "--json", "--quiet"]
    first = run_studio(build, cwd=root)
    assert first.returncode == 0, first.stderr
    out = Path(json.loads(first.stdout)["out"])
    decoded = root / ".studio-cache" / "decoded" / "2026-02-20-pipe"
    before = {p.name: p.stat().st_mtime_ns for p in decoded.glob("*.pcm")}
    first_mp3 = (out / f"{out.name}.mp3").read_bytes()
    script.write_text(SCRIPT.replace("这个编辑器速度很快", "这个编辑器速度非常快"), "utf-8")
    second = run_studio(build, cwd=root)
    assert second.returncode == 0, second.stderr
    after = {p.name: p.stat().st_mtime_ns for p in decoded.glob("*.pcm")}
    return root, script, out, decoded, before, after, first_mp3, json.loads(second.stdout)


def test_an_edit_decodes_only_the_changed_clip(built_twice):
    _, _, _, _, before, after, _, summary = built_twice
    assert summary["synthesized"] == 1
    assert len(before) == len(after) == 3 + 2  # three clips and two jingles
    kept = set(before) & set(after)
    assert len(kept) == 4 and all(before[n] == after[n] for n in kept)  # reused, not rewritten
    assert len(set(after) - set(before)) == 1  # the edited clip; the old one was pruned


def test_the_edited_episode_meets_the_loudness_target_in_one_encode(built_twice):
    _, _, out, _, _, _, _, _ = built_twice
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["loudness"]["passes"] == 1
    measured = loudness(out / f"{out.name}.mp3")
    assert abs(measured.integrated - -16.0) <= 0.5 and measured.true_peak <= -1.0


def test_a_damaged_decoded_clip_is_decoded_again(built_twice):
    root, script, out, decoded, _, _, _, _ = built_twice
    mp3 = (out / f"{out.name}.mp3").read_bytes()
    victim = sorted(decoded.glob("*.pcm"))[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # truncated on disk
    proc = run_studio(["build", str(script), "--engine", "espeak", "--json", "--quiet", "--force"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert (out / f"{out.name}.mp3").read_bytes() == mp3  # the same episode, not half a clip


def _build_on_a_terminal(root: Path, script: Path, *flags: str) -> tuple[str, str]:
    """Run `studio build` with stderr on a pseudo-terminal (as a host runs it); return stdout, stderr."""
    import os
    import pty
    import subprocess
    import sys

    from tests.conftest import bare_env

    main, child = pty.openpty()
    env = dict(bare_env(), COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([sys.executable, "-m", "studio", "build", str(script), "--engine", "espeak", "--force", *flags],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=child)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.communicate(timeout=300)[0]
    os.close(main)
    assert proc.returncode == 0
    return out.decode(), b"".join(chunks).decode("utf-8", "replace")


def test_mastering_shows_a_progress_bar_with_time_left_unless_quiet(built_twice):
    root, script, *_ = built_twice
    _, err = _build_on_a_terminal(root, script)
    assert "Mastering and encoding" in err and "left" in err
    out, err = _build_on_a_terminal(root, script, "--quiet", "--json")
    assert "Mastering" not in err
    assert json.loads(out)["items"] == 3
