"""One bad episode must not stop the show: values cleaned before the manifest is written,
unusable manifests skipped by the feed and reported by `studio check`, one-line errors."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from lxml import etree

from tests.conftest import bare_env, one_line_error, run_studio
from tests.feed_helpers import add_episode, rebuild

SMALL = "+++\n{front}\n+++\n\n## 第一条\n\n一句话。\n\n## 第二条\n\n又一句话。\n"


def _write(show_dir: Path, name: str, front: str, body: str | None = None) -> str:
    text = SMALL.format(front=front) if body is None else f"+++\n{front}\n+++\n\n{body}"
    (show_dir / "episodes" / name).write_text(text, "utf-8")
    return f"episodes/{name}"


def _build(show_dir: Path, script: str, *extra: str) -> subprocess.CompletedProcess:
    return run_studio(["build", script, "--engine", "espeak", "--json", *extra], cwd=show_dir)



def _feed_titles(out: Path) -> list[str]:
    channel = etree.parse(str(out / "feed.xml")).getroot().find("channel")
    return [item.findtext("title") for item in channel.findall("item")]


def test_control_characters_are_stripped_before_the_manifest(show_dir: Path):
    # ESC colour codes pasted from a terminal (TOML escape) and a raw U+0001 in a heading
    front = 'title = "\\u001b[31m红色标题\\u001b[0m"\ndate = 2026-02-02\nslug = "ctl"\nsummary = "概要\\u0007"'
    script = _write(show_dir, "ctl.md", front, "## 第一条\x01标题\n\n一句话\x1b[1m加粗\x1b[0m。\n\n## 第二条\n\n又一句话。\n")
    proc = _build(show_dir, script)
    assert proc.returncode == 0, proc.stderr
    out = show_dir / "public"
    m = json.loads((out / "episodes" / "ctl" / "manifest.json").read_text("utf-8"))
    assert m["title"] == "红色标题" and m["summary"] == "概要"
    assert m["items"][0]["title"] == "第一条标题" and "加粗" in m["items"][0]["text"]
    assert "\x1b" not in json.dumps(m) and "\\u001b" not in json.dumps(m) and "\\u0001" not in json.dumps(m)
    assert _feed_titles(out) == ["红色标题"]
    other = _write(show_dir, "next.md", 'title = "下一期"\ndate = 2026-02-09\nslug = "next"')
    assert _build(show_dir, other).returncode == 0  # the show goes on
    proc = run_studio(["check"], cwd=show_dir)
    assert "Traceback" not in proc.stderr and proc.stdout.splitlines()[-1].startswith("0 errors"), proc.stdout


def test_pub_date_that_is_not_a_date_is_one_line(show_dir: Path):
    script = _write(show_dir, "when.md", 'title = "哪天"\ndate = 2026-02-02\npub_date = "next tuesday"')
    line = one_line_error(_build(show_dir, script), "when.md", "'pub_date'", "next tuesday")
    assert "not a date" in line
    assert not (show_dir / "public").exists()
    proc = run_studio(["check"], cwd=show_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "episodes/when.md" in proc.stdout and "'pub_date'" in proc.stdout


def test_date_that_is_not_a_date_is_one_line(show_dir: Path):
    script = _write(show_dir, "day.md", 'title = "哪天"\ndate = "next tuesday"')
    one_line_error(run_studio(["items", script], cwd=show_dir), "day.md", "'date'", "next tuesday")


def test_control_characters_in_front_matter_values_are_stripped(show_dir: Path):
    from studio.ingest import read_episode

    script = _write(show_dir, "meta.md", 'title = "x"\ndate = 2026-02-02\nvoice = "zh-CN-\\u0000YunxiNeural"\n'
                                         '[audio]\nintro = "assets/\\u001b[1mintro.mp3"')
    meta = read_episode(show_dir / script).meta
    assert meta["voice"] == "zh-CN-YunxiNeural" and meta["audio"]["intro"] == "assets/intro.mp3"


def test_pub_date_in_other_forms_is_normalised(show_dir: Path):
    from studio.ingest import read_episode

    for value, expected in [('"2026-02-03T07:30:00+08:00"', "2026-02-03T07:30:00+08:00"),
                            ("2026-02-03T07:30:00Z", "2026-02-03T07:30:00+00:00"),
                            ('"Tue, 03 Feb 2026 07:30:00 +0800"', "2026-02-03T07:30:00+08:00")]:
        script = show_dir / _write(show_dir, "ok.md", f'title = "x"\ndate = 2026-02-02\npub_date = {value}')
        assert read_episode(script).meta["pub_date"] == expected


def _bad_manifests(out: Path) -> dict[str, str]:
    """Good episodes 1 and 7, and one of each way a manifest can be unusable; slug -> what is wrong."""
    add_episode(out, 1)
    add_episode(out, 7)
    add_episode(out, 2, extra={"pub_date": "next tuesday"})
    add_episode(out, 3, title="\x1b[31mred\x1b[0m")
    add_episode(out, 4, items=[{"title": "x", "links": [{"url": "https://example.org/", "label": 5}]}])
    add_episode(out, 5, extra={"audio": {"file": "episode.mp3", "bytes": 1, "duration_ms": float("nan")}})
    for n, text in [(6, "[]"), (8, "null"), (9, "{not json"), (10, '"a string"')]:
        ep = out / "episodes" / f"ep-{n:03d}"
        ep.mkdir(parents=True)
        (ep / "manifest.json").write_text(text, "utf-8")
    return {"ep-002": "pub_date", "ep-003": "control character", "ep-004": "'links' must be",
            "ep-005": "NaN", "ep-006": "not a JSON object", "ep-008": "not a JSON object",
            "ep-009": "not valid JSON", "ep-010": "not a JSON object"}


def test_unusable_manifests_are_skipped_by_the_feed_and_reported(show_dir: Path):
    from studio.build.showwide import write_site_and_feed
    from studio.core.config import load_show
    from studio.feed.rules import require_publishable

    out = show_dir / "public"
    bad = _bad_manifests(out)
    show = load_show(show_dir / "show.toml")
    warnings: list[str] = []
    write_site_and_feed(show, out, require_publishable(show), warn=warnings.append)
    assert _feed_titles(out) == ["Episode 7", "Episode 1"]
    assert "Episode 7" in (out / "index.html").read_text("utf-8")
    assert (out / "episodes" / "ep-001" / "index.html").is_file()
    for slug, why in bad.items():
        (line,) = [w for w in warnings if f"/{slug}/manifest.json" in w]
        assert why in line and "left out" in line, line

    rebuild(show_dir)  # again, from the cached index: still skipped, still fine
    assert _feed_titles(out) == ["Episode 7", "Episode 1"]
    proc = run_studio(["check"], cwd=show_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    errors = [l for l in proc.stdout.splitlines() if l.strip().startswith("ERROR")]
    for slug, why in bad.items():
        assert any(f"{slug}/manifest.json" in l and why in l for l in errors), (slug, proc.stdout)
    assert not any("ep-001" in l or "ep-007" in l for l in errors)


def test_wrong_shaped_index_and_manifest_are_rebuilt_not_a_traceback(show_dir: Path):
    script = _write(show_dir, "shape.md", 'title = "形状"\ndate = 2026-02-02\nslug = "shape"')
    assert _build(show_dir, script).returncode == 0
    out = show_dir / "public"
    for index in ("[]", "null", '{"x": [1]}', "{broken"):
        (out / ".studio-index.json").write_text(index, "utf-8")
        proc = _build(show_dir, script)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (index, proc.stderr)
    for manifest in ("[]", "null", '{"slug": 5}'):
        (out / "episodes" / "shape" / "manifest.json").write_text(manifest, "utf-8")
        proc = _build(show_dir, script)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (manifest, proc.stderr)
        assert json.loads((out / "episodes" / "shape" / "manifest.json").read_text("utf-8"))["slug"] == "shape"
    (out / "episodes" / "shape" / "manifest.json").write_text("[]", "utf-8")
    proc = run_studio(["check"], cwd=show_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "shape/manifest.json" in proc.stdout and "not a JSON object" in proc.stdout


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG file that claims width x height pixels (what a decompression bomb looks like)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_cover_decompression_bomb_is_one_line(show_dir: Path):
    (show_dir / "assets" / "bomb.png").write_bytes(_bomb_png(20000, 20000))
    text = (show_dir / "show.toml").read_text("utf-8").replace('cover = "assets/cover.jpg"', 'cover = "assets/bomb.png"')
    (show_dir / "show.toml").write_text(text, "utf-8")
    script = _write(show_dir, "b.md", 'title = "b"\ndate = 2026-02-02')
    one_line_error(_build(show_dir, script), "show.toml", "bomb.png", "too many pixels")
    proc = run_studio(["check"], cwd=show_dir)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert any("bomb.png" in l and "too many pixels" in l for l in proc.stdout.splitlines())


def test_same_slug_built_at_once_one_wins_one_is_refused(show_dir: Path):
    body = "".join(f"## 第{n}条\n\n这是第{n}条新闻的内容，说得稍微长一点。\n\n" for n in range(1, 7))
    a = _write(show_dir, "a.md", 'title = "甲"\ndate = 2026-02-02\nslug = "same"', body)
    b = _write(show_dir, "b.md", 'title = "乙"\ndate = 2026-02-02\nslug = "same"', body)
    procs = [subprocess.Popen([sys.executable, "-m", "studio", "build", s, "--engine", "espeak"], cwd=show_dir,
                              env=bare_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in (a, b)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 1], results
    (code, err), = [r for r in results if r[0] == 1]
    assert "Traceback" not in err and "duplicate slug 'same'" in err.strip().splitlines()[-1]
    winner = "a.md" if results[0][0] == 0 else "b.md"
    m = json.loads((show_dir / "public" / "episodes" / "same" / "manifest.json").read_text("utf-8"))
    assert m["source"] == f"episodes/{winner}" and m["title"] == ("甲" if winner == "a.md" else "乙")
    assert _feed_titles(show_dir / "public") == [m["title"]]
