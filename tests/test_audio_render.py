"""The audio stage on its own: clips in (Edge-like MP3 and espeak-like WAV), a publishable MP3 out.

Everything is checked on the real output with the bundled ffmpeg and mutagen: where each item's
speech sits in the decoded mix, loudness and true peak, tags and chapters, clip files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from studio.audio.render import render_audio
from studio.audio.tags import read_chapters
from studio.core.config import load_show
from studio.core.errors import AudioError, ConfigError
from studio.core.model import Episode, Item, Link
from tests.audio_helpers import RATE, decode, locate, loudness, make_clip
from tests.conftest import make_show

TOL_MS = 50
HALF_FRAME_MS = 576 / RATE * 1000  # where the episode is cut into pieces, a gap may move by half an MP3 frame


def items() -> list[Item]:
    spec = [
        ("开场", "", "intro", None),
        ("英伟达市值破万亿", "新闻", "story", "https://example.com/nvidia?a=1&b=2"),
        ("CoreWeave 再融资", "新闻", "story", None),
        ("工具：一个新编辑器", "工具", "story", "https://example.com/tool"),
        ("结束语", "工具", "outro", None),
    ]
    return [
        Item(title=t, text=t, speech_text=t, section=s, kind=k, links=[Link(url)] if url else [])
        for t, s, k, url in spec
    ]


def episode(show_dir: Path, meta: dict | None = None) -> Episode:
    return Episode(
        slug="ep-7", title="第七期 <测试>", date=dt.date(2026, 3, 6), items=items(), number=7,
        summary="本期摘要", source=show_dir / "episodes" / "ep-7.md", meta=meta or {},
    )


def clips() -> list:
    # alternating engines' formats, different lengths and levels (the last is much quieter)
    spec = [(3.2, "mp3", 1.0), (4.1, "wav", 0.9), (3.5, "mp3", 0.8), (3.0, "wav", 1.0), (3.3, "mp3", 0.15)]
    return [make_clip(sec, seed, fmt, level) for seed, (sec, fmt, level) in enumerate(spec)]


def render(tmp: Path, meta: dict | None = None, **audio):
    show_dir = tmp / "show"
    show_dir.mkdir()
    make_show(show_dir)
    show = load_show(show_dir / "show.toml")
    show.audio = dataclasses.replace(show.audio, **audio)
    ep = episode(show_dir, meta)
    ep_dir = show_dir / "out"
    ep_dir.mkdir()
    the_clips = clips()
    result = render_audio(ep, the_clips, show, ep_dir, show.path(show.cover))
    return show, ep, the_clips, ep_dir, result


@pytest.fixture(scope="module")
def mastered(tmp_path_factory):
    """Default settings (intro/outro jingles, mono 96 kbps, -16 LUFS) plus the stinger."""
    show, ep, the_clips, ep_dir, result = render(tmp_path_factory.mktemp("m"), stinger="assets/stinger.mp3")
    mix = decode(ep_dir / "ep-7.mp3")
    return show, ep, the_clips, ep_dir, result, mix


def speech_found_at(clip, mix: np.ndarray, expected_ms: float) -> float:
    """Locate a one-second stretch of the clip (past the intro's music-under) in the mix; ms of the clip's start."""
    samples = decode(clip.audio)
    skip = int(1.6 * RATE)
    needle = samples[skip : skip + RATE]
    at, score = locate(needle, mix, int(expected_ms / 1000 * RATE) + skip, search=RATE)
    assert score > 0.9, f"clip not found in the mix (correlation {score:.2f})"
    return (at - skip) / RATE * 1000


def test_duration_matches_the_decoded_file(mastered):
    *_, result, mix = mastered
    assert abs(len(mix) / RATE * 1000 - result.duration_ms) <= TOL_MS
    assert abs(len(mix) / RATE * 1000 - result.duration_ms) <= 2  # in fact sample-exact


def test_each_item_speech_is_where_the_manifest_says(mastered):
    _, _, the_clips, _, result, mix = mastered
    for clip, placed in zip(the_clips, result.items):
        found = speech_found_at(clip, mix, placed["start_ms"])
        assert abs(found - placed["start_ms"]) <= TOL_MS, placed
        length = len(decode(clip.audio)) / RATE * 1000
        assert abs((placed["end_ms"] - placed["start_ms"]) - length) <= 2


def test_layout_intro_gaps_stinger_outro(mastered):
    show, ep, _, _, result, _ = mastered
    cfg = show.audio
    intro_ms = len(decode(show.path(cfg.intro))) / RATE * 1000
    outro_ms = len(decode(show.path(cfg.outro))) / RATE * 1000
    stinger_ms = len(decode(show.path(cfg.stinger))) / RATE * 1000
    starts = [it["start_ms"] for it in result.items]
    ends = [it["end_ms"] for it in result.items]
    assert abs(starts[0] - (intro_ms - cfg.music_under * 1000)) <= 1  # music keeps playing under the first words
    for i in range(1, len(starts)):
        changed = ep.items[i].section and ep.items[i].section != ep.items[i - 1].section
        expected = 2 * cfg.gap * 1000 + stinger_ms if changed else cfg.gap * 1000
        assert abs(starts[i] - ends[i - 1] - expected) <= 1 + HALF_FRAME_MS, i  # a cut may move a gap
    assert abs(result.duration_ms - (ends[-1] + cfg.gap * 1000 + outro_ms)) <= 1


def test_loudness_and_true_peak_of_the_mp3(mastered):
    show, *_, ep_dir, result, _ = mastered
    measured = loudness(ep_dir / "ep-7.mp3")
    assert abs(measured.integrated - show.audio.loudness) <= 1.0
    assert measured.true_peak <= show.audio.true_peak
    assert result.loudness["integrated_lufs"] == pytest.approx(measured.integrated, abs=0.15)
    assert result.loudness["true_peak_dbtp"] == pytest.approx(measured.true_peak, abs=0.15)


def test_items_are_levelled(mastered):
    _, _, _, ep_dir, result, mix = mastered
    import wave

    levels = []
    for n, it in enumerate(result.items[1:], start=1):  # the first shares its start with the intro music
        a, b = int(it["start_ms"] / 1000 * RATE), int(it["end_ms"] / 1000 * RATE)
        path = ep_dir.parent / f"seg{n}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
            w.writeframes((mix[a:b] * 32767).astype("<i2").tobytes())
        levels.append(loudness(path).integrated)
    # the quiet last clip (-16 dB at the source) is brought up to the others
    assert max(levels) - min(levels) <= 1.5, levels


def test_mp3_format(mastered):
    *_, ep_dir, _, _ = mastered
    info = MP3(ep_dir / "ep-7.mp3").info
    assert (info.sample_rate, info.channels, info.bitrate) == (44100, 1, 96000)
    assert info.bitrate_mode in (BitrateMode.CBR, BitrateMode.UNKNOWN)


def test_tags_and_chapters_read_back(mastered):
    show, ep, _, ep_dir, result, _ = mastered
    id3 = ID3(ep_dir / "ep-7.mp3")
    assert id3.version[:2] == (2, 3)
    assert str(id3["TIT2"]) == ep.title and str(id3["TPE1"]) == show.author
    assert str(id3["TALB"]) == show.title and str(id3["TRCK"]) == "7"
    assert str(id3["TCON"]) == "Podcast" and "2026" in str(id3.get("TDRC") or id3.get("TYER"))
    assert str(id3.getall("COMM")[0]) == ep.summary
    (apic,) = id3.getall("APIC")
    assert apic.type == 3 and apic.data == show.path(show.cover).read_bytes()

    chapters = read_chapters(ep_dir / "ep-7.mp3")
    assert [c.title for c in chapters] == [it.title for it in ep.items]
    assert chapters[0].start_ms == 0
    assert abs(chapters[-1].end_ms - result.duration_ms) <= 1
    for prev, cur in zip(chapters, chapters[1:]):
        assert prev.end_ms == cur.start_ms  # ordered, no overlap, no hole
    for ch, it, placed in zip(chapters[1:], ep.items[1:], result.items[1:]):
        assert abs(ch.start_ms - placed["start_ms"]) <= TOL_MS
    assert [c.url for c in chapters] == [it.links[0].url if it.links else "" for it in ep.items]


def test_chapter_starts_match_the_speech_in_the_mix(mastered):
    _, _, the_clips, ep_dir, result, mix = mastered
    chapters = read_chapters(ep_dir / "ep-7.mp3")
    for ch, clip, placed in list(zip(chapters, the_clips, result.items))[1:]:
        assert abs(speech_found_at(clip, mix, placed["start_ms"]) - ch.start_ms) <= TOL_MS


def test_chapters_json(mastered):
    _, ep, _, ep_dir, result, _ = mastered
    doc = json.loads((ep_dir / "chapters.json").read_text("utf-8"))
    assert doc["version"].startswith("1.")
    assert [c["title"] for c in doc["chapters"]] == [it.title for it in ep.items]
    assert doc["chapters"][0]["startTime"] == 0
    assert doc["chapters"][1]["url"] == "https://example.com/nvidia?a=1&b=2"
    assert "url" not in doc["chapters"][0]
    for c, placed in list(zip(doc["chapters"], result.items))[1:]:
        assert abs(c["startTime"] * 1000 - placed["start_ms"]) <= TOL_MS
    assert abs(doc["chapters"][-1]["endTime"] * 1000 - result.duration_ms) <= 1


def test_clip_files_hold_their_item_and_are_tagged(mastered):
    _, ep, the_clips, ep_dir, result, _ = mastered
    names = [it["clip"] for it in result.items]
    assert len(set(names)) == len(names)
    for item, clip, placed in zip(ep.items, the_clips, result.items):
        path = ep_dir / placed["clip"]
        assert path.stat().st_size == placed["clip_bytes"]
        assert str(ID3(path)["TIT2"]) == item.title
        audio = decode(path)
        speech = len(decode(clip.audio))
        assert speech <= len(audio) <= speech + RATE  # the item plus a little silence, not the episode
        needle = decode(clip.audio)[int(1.6 * RATE) : int(2.6 * RATE)]
        _, score = locate(needle, audio, int(1.6 * RATE), search=RATE // 2)
        assert score > 0.9


def test_rerender_keeps_clip_names(mastered, tmp_path):
    show, ep, the_clips, ep_dir, result, _ = mastered
    again = render_audio(ep, the_clips, show, ep_dir, show.path(show.cover))
    assert [it["clip"] for it in again.items] == [it["clip"] for it in result.items]


def test_stereo_192k_at_minus_19_without_jingles(tmp_path):
    show, ep, the_clips, ep_dir, result = render(
        tmp_path, intro="", outro="", channels=2, bitrate=192, loudness=-19.0, level_items=False,
    )
    info = MP3(ep_dir / "ep-7.mp3").info
    assert (info.sample_rate, info.channels, info.bitrate) == (44100, 2, 192000)
    measured = loudness(ep_dir / "ep-7.mp3")
    assert abs(measured.integrated + 19) <= 1.0 and measured.true_peak <= -1.0
    assert result.items[0]["start_ms"] == 0
    assert abs(result.duration_ms - result.items[-1]["end_ms"]) <= 1
    mix = decode(ep_dir / "ep-7.mp3")
    found = speech_found_at(the_clips[2], mix, result.items[2]["start_ms"])
    assert abs(found - result.items[2]["start_ms"]) <= TOL_MS


def test_front_matter_overrides_show_audio(tmp_path):
    _, _, _, _, result = render(tmp_path, meta={"audio": {"intro": "", "gap": 1.0}})
    assert result.items[0]["start_ms"] == 0
    assert abs(result.items[1]["start_ms"] - result.items[0]["end_ms"] - 1000) <= 1 + HALF_FRAME_MS


def test_missing_jingle_names_the_key_and_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        render(tmp_path, outro="assets/nope.mp3")
    assert "show.toml" in str(err.value) and "audio.outro" in str(err.value) and "nope.mp3" in str(err.value)


def test_bad_front_matter_audio_names_the_script(tmp_path):
    with pytest.raises(ConfigError) as err:
        render(tmp_path, meta={"audio": {"gap": "long"}})
    assert "ep-7.md" in str(err.value) and "audio.gap" in str(err.value)


def test_undecodable_clip_is_one_clear_error(tmp_path):
    show_dir = tmp_path / "show"
    show_dir.mkdir()
    make_show(show_dir)
    show = load_show(show_dir / "show.toml")
    ep = episode(show_dir)
    bad = clips()
    bad[2] = dataclasses.replace(bad[2], audio=b"not audio at all")
    with pytest.raises(AudioError) as err:
        render_audio(ep, bad, show, tmp_path, show.path(show.cover))
    assert "ep-7.md" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "ep-7.mp3").exists()


def test_undecodable_jingle_names_the_key(tmp_path):
    show_dir = tmp_path / "show"
    show_dir.mkdir()
    make_show(show_dir)
    (show_dir / "assets" / "outro.mp3").write_bytes(b"\x00garbage" * 100)
    show = load_show(show_dir / "show.toml")
    with pytest.raises(AudioError) as err:
        render_audio(episode(show_dir), clips(), show, tmp_path, show.path(show.cover))
    assert "audio.outro" in str(err.value) and "outro.mp3" in str(err.value)


def test_an_item_without_speech_gets_no_chapter(tmp_path):
    show_dir = tmp_path / "show"
    show_dir.mkdir()
    make_show(show_dir)
    show = load_show(show_dir / "show.toml")
    ep = episode(show_dir)
    the_clips = clips()
    the_clips[2] = dataclasses.replace(the_clips[2], audio=b"")
    result = render_audio(ep, the_clips, show, tmp_path, show.path(show.cover))
    assert result.items[2]["start_ms"] == result.items[2]["end_ms"] == result.items[1]["end_ms"]
    assert abs(result.items[3]["start_ms"] - result.items[1]["end_ms"] - 600) <= 1  # one gap, not two
    titles = [c.title for c in read_chapters(tmp_path / "ep-7.mp3")]
    assert titles == [it.title for n, it in enumerate(ep.items) if n != 2]
    assert (tmp_path / result.items[2]["clip"]).is_file()
