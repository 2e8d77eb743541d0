"""Wrong output that looks right: the clip cache deletes only its own entries and never reuses a
damaged clip; the build fingerprint covers every file a build reads, wherever it is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_studio

EPISODE = ("+++\ntitle = '缓存'\ndate = 2026-04-06\nslug = 'cache'\n{extra}+++\n\n"
           "## 第一条\n\nA16Z 投资了一家公司。\n\n## 第二条\n\n又一句比较长的话，让这个片段有一点长度。\n")


def _episode(show_dir: Path, extra: str = "") -> str:
    (show_dir / "episodes" / "cache.md").write_text(EPISODE.format(extra=extra), "utf-8")
    return "episodes/cache.md"


def _build(show_dir: Path, *extra: str) -> tuple[dict, str]:
    proc = run_studio(["build", "episodes/cache.md", "--engine", "espeak", "--json", *extra], cwd=show_dir)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def _manifest(show_dir: Path) -> dict:
    return json.loads((show_dir / "public" / "episodes" / "cache" / "manifest.json").read_text("utf-8"))


def _foreign(root: Path) -> list[Path]:
    """Files a user keeps in a folder that cache_dir was pointed at by mistake."""
    files = {
        "ab/notes.json": "{not json", "ab/notes.txt": "my notes", "cd/photo.jpg": "jpeg",
        "ef/readme.md": "# hi", "01/" + "0" * 64 + ".json.bak": "{}", "zz/x.json": '{"fmt": "mp3"}',
        "12/" + "1" * 64 + ".json": '{"fmt": "wav"}',  # exact entry name, but in the wrong folder
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return sorted(root / rel for rel in files)


def test_prune_leaves_a_foreign_folder_alone(show_dir: Path):
    stuff = show_dir / "stuff"
    foreign = _foreign(stuff)
    (show_dir / "show.toml").write_text((show_dir / "show.toml").read_text("utf-8") + '\n[speech]\ncache_dir = "stuff"\n',
                                        "utf-8")
    for args in (["cache", "prune"], ["cache", "prune", "--all"], ["cache", "prune", "--older-than", "0"]):
        proc = run_studio(args, cwd=show_dir)
        assert proc.returncode == 0 and "not a Studio clip cache" in proc.stdout, proc.stdout + proc.stderr
        assert all(p.is_file() for p in foreign)

    _episode(show_dir)
    _build(show_dir)  # the cache now marks the folder and writes its entries
    assert (stuff / "STUDIO-CACHE").is_file()
    info = json.loads(run_studio(["cache", "info", "--json"], cwd=show_dir).stdout)
    assert info["entries"] == 2
    assert info["audio_work"]["episodes"] == 1 and info["audio_work"]["bytes"] > 100_000  # decoded PCM, pieces
    foreign += _foreign(stuff / "decoded" / "someone")  # a user's files beside the working copies
    proc = run_studio(["cache", "prune", "--all"], cwd=show_dir)
    assert proc.returncode == 0 and "removed 2 clips" in proc.stdout, proc.stdout
    assert "audio working copies of 1 episodes" in proc.stdout, proc.stdout
    assert all(p.is_file() for p in foreign), [p for p in foreign if not p.is_file()]
    info = json.loads(run_studio(["cache", "info", "--json"], cwd=show_dir).stdout)
    assert info["entries"] == 0 and info["audio_work"]["bytes"] == 0


def test_a_damaged_cached_clip_is_synthesized_again(show_dir: Path):
    _episode(show_dir)
    first, _ = _build(show_dir)
    assert first["synthesized"] == 2
    clips = sorted((show_dir / ".studio-cache").glob("??/*.wav"))
    assert len(clips) == 2
    damaged = clips[0]
    damaged.write_bytes(damaged.read_bytes()[:100])  # truncated on disk
    again, stderr = _build(show_dir, "--force")
    assert (again["synthesized"], again["cached"]) == (1, 1)
    assert "damaged" in stderr and damaged.name in stderr.replace("\n", "")
    items = _manifest(show_dir)["items"]
    assert all(it["end_ms"] - it["start_ms"] > 500 for it in items), items
    third, _ = _build(show_dir, "--force")
    assert (third["synthesized"], third["cached"]) == (0, 2)  # the re-synthesized clip was cached intact


def test_editing_a_lexicon_at_a_custom_path_rebuilds(show_dir: Path):
    (show_dir / "pron").mkdir()
    lexicon = show_dir / "pron" / "words.toml"
    lexicon.write_text('"A16Z" = "A十六Z"\n', "utf-8")
    (show_dir / "show.toml").write_text((show_dir / "show.toml").read_text("utf-8") +
                                        '\n[speech]\nlexicon = "pron/words.toml"\n', "utf-8")
    _episode(show_dir)
    _build(show_dir)
    before = _manifest(show_dir)["fingerprint"]
    lexicon.write_text('"A16Z" = "安德森霍洛维茨"\n', "utf-8")
    result, _ = _build(show_dir)
    assert result["synthesized"] == 1, result  # the item with A16Z, read the new way
    assert _manifest(show_dir)["fingerprint"] != before


def test_editing_a_front_matter_jingle_outside_assets_rebuilds(show_dir: Path):
    (show_dir / "music").mkdir()
    jingle = show_dir / "music" / "intro.mp3"
    shutil.copyfile(show_dir / "assets" / "intro.mp3", jingle)
    _episode(show_dir, extra='[audio]\nintro = "music/intro.mp3"\n')
    _build(show_dir)
    before = _manifest(show_dir)
    assert before["inputs"] == ["music/intro.mp3", "assets/outro.mp3"]
    again, _ = _build(show_dir)
    assert _manifest(show_dir) == before  # nothing changed: up to date
    shutil.copyfile(show_dir / "assets" / "outro.mp3", jingle)  # another sound, same name
    _build(show_dir)
    after = _manifest(show_dir)
    assert after["audio"]["sha256"] != before["audio"]["sha256"]
    assert after["fingerprint"] != before["fingerprint"]


def test_a_clip_changed_in_place_is_not_reused(tmp_path: Path):
    from studio.speech.base import Clip, VoiceSettings
    from studio.speech.cache import ClipCache, clip_key

    warnings: list[str] = []
    cache = ClipCache(tmp_path / "cache", warn=warnings.append)
    key = clip_key("espeak", "1", VoiceSettings("zh"), "你好")
    cache.put(key, Clip(audio=b"RIFF" + bytes(996), fmt="wav", boundaries=[], engine="espeak"), "zh")
    assert cache.has(key) and cache.get(key).audio == b"RIFF" + bytes(996)
    audio = tmp_path / "cache" / key[:2] / f"{key}.wav"
    audio.write_bytes(b"RIFF" + bytes(995) + b"\x01")  # same size, other bytes
    assert cache.get(key) is None and "content changed" in warnings[0]
    assert not cache.has(key) and not audio.exists()  # the damaged entry is gone
