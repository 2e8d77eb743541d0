"""`studio check` and `studio build` on bad input: one clear error naming the file, non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import run_studio
from tests.feed_helpers import add_episode, rebuild, set_toml

EPISODE = "episodes/2024-03-27-ai-newsletter.md"


def _script(show_dir: Path, name: str, front: str) -> str:
    (show_dir / "episodes" / name).write_text(f"+++\n{front}\n+++\n\n## 第一条\n\n内容。\n", "utf-8")
    return f"episodes/{name}"


def _build_fails(show_dir: Path, script: str, *needles: str) -> str:
    proc = run_studio(["build", script, "--engine", "espeak"], cwd=show_dir)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in line, line
    return line


def _check(show_dir: Path):
    proc = run_studio(["check"], cwd=show_dir)
    assert "Traceback" not in proc.stderr
    return proc


def test_check_passes_a_good_feed(show_dir: Path):
    """The feed and manifests pass every rule; the show is still not ready (its scripts are not built, its URLs
    are the example's): those are todo items, not errors (tests/test_check_ready.py: when it is ready)."""
    out = show_dir / "public"
    for n in (1, 2):
        add_episode(out, n, extra={"source": "episodes/2023-06-02-ai-compute-weekly.txt"})
    rebuild(show_dir)
    proc = _check(show_dir)
    assert proc.returncode == 1, proc.stdout
    assert "0 errors, 0 warnings, " in proc.stdout and "not ready to publish" in proc.stdout
    assert "ERROR" not in proc.stdout and "feed.xml: 2 items" in proc.stdout
    todo = [line for line in proc.stdout.splitlines() if line.startswith("  todo ")]
    assert todo and all("placeholder" in line or "not built" in line for line in todo), todo


@pytest.mark.parametrize("number", [0, -3])
def test_episode_number_must_be_positive(show_dir: Path, number: int):
    script = _script(show_dir, "bad-number.md", f'title = "x"\ndate = 2025-01-01\nnumber = {number}')
    proc = _check(show_dir)
    assert proc.returncode == 1
    assert "episodes/bad-number.md" in proc.stdout and f"episode number must be 1 or more, got {number}" in proc.stdout
    _build_fails(show_dir, script, "bad-number.md", "episode number must be 1 or more")
    assert not (show_dir / "public").exists()


def test_duplicate_slug(show_dir: Path):
    _script(show_dir, "a.md", 'title = "A"\ndate = 2025-01-01\nslug = "same"')
    second = _script(show_dir, "b.md", 'title = "B"\ndate = 2025-01-08\nslug = "same"')
    proc = _check(show_dir)
    assert proc.returncode == 1
    assert "episodes/b.md: duplicate slug 'same': also used by episodes/a.md" in proc.stdout
    # a.md is already built: building b.md would overwrite its episode
    add_episode(show_dir / "public", 1, slug="same", extra={"source": "episodes/a.md"})
    before = (show_dir / "public" / "episodes" / "same" / "manifest.json").read_bytes()
    _build_fails(show_dir, second, "b.md", "duplicate slug 'same'", "episodes/a.md")
    assert (show_dir / "public" / "episodes" / "same" / "manifest.json").read_bytes() == before


@pytest.mark.parametrize("size,fmt,name,needle", [
    ((800, 600), "JPEG", "cover.jpg", "must be square, 1400-3000 px, got 800x600"),
    ((3200, 3200), "PNG", "cover.png", "got 3200x3200"),
    ((1400, 1400), "GIF", "cover.gif", "must be JPEG or PNG, got GIF"),
    ((1400, 1400), "PNG", "cover.jpg", "the file is PNG but named '.jpg'"),
])
def test_cover_art_size_and_type(show_dir: Path, size, fmt, name, needle):
    Image.new("RGB", size, (200, 30, 30)).save(show_dir / "assets" / name, fmt)
    set_toml(show_dir, cover=f"assets/{name}")
    proc = _check(show_dir)
    assert proc.returncode == 1 and needle in proc.stdout
    _build_fails(show_dir, EPISODE, "show.toml", needle)
    assert not (show_dir / "public").exists()


def test_cmyk_cover_is_refused(show_dir: Path):
    Image.new("CMYK", (1400, 1400)).save(show_dir / "assets" / "cover.jpg", "JPEG")
    proc = _check(show_dir)
    assert proc.returncode == 1 and "RGB colour space, got CMYK" in proc.stdout


def test_site_url_must_be_https(show_dir: Path):
    set_toml(show_dir, base_url="http://studio.example.org/weekly/")
    proc = _check(show_dir)
    assert proc.returncode == 1 and "key 'base_url': must be an https:// URL" in proc.stdout
    _build_fails(show_dir, EPISODE, "show.toml", "base_url", "https")
    assert not (show_dir / "public").exists()


def test_category_typo_gets_a_suggestion(show_dir: Path):
    set_toml(show_dir, category="News", subcategory="Tech Newz")
    proc = _check(show_dir)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "show.toml" in line and "did you mean 'Tech News'?" in line
    set_toml(show_dir, category="technology", subcategory="")
    proc = _check(show_dir)
    assert proc.returncode == 1 and "did you mean 'Technology'?" in proc.stderr


def test_check_reports_every_feed_problem(show_dir: Path):
    out = show_dir / "public"
    for n in (1, 2):
        add_episode(out, n)
    rebuild(show_dir)
    feed = (out / "feed.xml").read_text("utf-8")
    items = feed.split("<item>")
    # item 2 reuses item 1's GUID and enclosure, over plain http, with a wrong length and a 300-char title
    guid1 = items[1].split('<guid isPermaLink="false">')[1].split("<")[0]
    guid2 = items[2].split('<guid isPermaLink="false">')[1].split("<")[0]
    tampered = feed.replace(guid2, guid1).replace("episodes/ep-001/episode.mp3", "episodes/ep-002/episode.mp3")
    tampered = tampered.replace("<title>Episode 1</title>", f"<title>{'x' * 300}</title>")
    tampered = tampered.replace("<link>https://studio.example.org/weekly/episodes/ep-002/</link>",
                                "<link>http://studio.example.org/weekly/episodes/ep-002/</link>")
    tampered = tampered.replace('episode.mp3" length="', 'episode.mp3" length="9', 1)
    tampered = tampered.replace("<itunes:explicit>false</itunes:explicit>", "<itunes:explicit>no</itunes:explicit>")
    tampered = tampered.replace("<podcast:guid>", "<podcast:guidx>").replace("</podcast:guid>", "</podcast:guidx>")
    (out / "feed.xml").write_text(tampered, "utf-8")
    proc = _check(show_dir)
    assert proc.returncode == 1
    report = proc.stdout
    for needle in ("is also used by", "<link> must be an https URL", "but the file is", "<title> is 300 characters, the limit is 255",
                   "<itunes:explicit> must be true or false", "required <podcast:guid> is missing",
                   "enclosure URL https://studio.example.org/weekly/episodes/ep-002/episode.mp3 is also used by"):
        assert needle in report, (needle, report)
    assert "ERROR" in report and "errors" in report.splitlines()[-1]


def test_check_spots_a_manifest_whose_audio_changed(show_dir: Path):
    out = show_dir / "public"
    m = add_episode(out, 1)
    rebuild(show_dir)
    (out / "episodes" / m["slug"] / "episode.mp3").write_bytes(b"short")
    proc = _check(show_dir)
    assert proc.returncode == 1
    assert "episode.mp3 is 5 bytes but the manifest says" in proc.stdout
    assert "enclosure length" in proc.stdout  # the feed still claims the old size
    assert json.loads((out / "episodes" / m["slug"] / "manifest.json").read_text("utf-8"))["slug"] == m["slug"]


def test_help_explains_the_new_commands(tmp_path: Path):
    proc = run_studio(["--help"], cwd=tmp_path)
    assert proc.returncode == 0
    for cmd in ("check", "serve", "publish"):
        assert cmd in proc.stdout
        sub = run_studio([cmd, "--help"], cwd=tmp_path)
        assert sub.returncode == 0 and len(sub.stdout.splitlines()) > 4


def test_check_warns_when_the_feed_identity_would_change(show_dir: Path):
    out = show_dir / "public"
    add_episode(out, 1)
    rebuild(show_dir)
    old = (out / "feed.xml").read_text("utf-8").split("<podcast:guid>")[1].split("<")[0]
    set_toml(show_dir, base_url="https://new.example.net/pod/")
    proc = _check(show_dir)
    assert f"<podcast:guid> {old} is not this show's" in proc.stdout and "[feed] guid" in proc.stdout
