"""The episode encoded as pieces and joined: one valid MP3, the right timeline, silent seams,
loudness from the pieces' blocks, pieces reused after an edit and encoded while speech goes on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3

from studio.audio.blocks import Blocks, combine, integrated, loudness_range
from studio.audio.encode import encode_master
from studio.audio.loudness import Master
from studio.audio.mastering import episode_mastering
from studio.audio.mp3 import crc16, crc16_combine, join_pieces, mp3_frames, read_encoded
from studio.audio.render import render_audio
from studio.audio.settings import episode_audio
from studio.core.config import load_show
from studio.core.model import Episode, Item
from studio.speech.synthesize import synthesize_episode
from tests.audio_helpers import RATE, decode, loudness, make_clip
from tests.conftest import make_show
from tests.speech_support import episode as speech_episode
from tests.speech_support import show_at, stand_in  # noqa: F401 (fixture)


def tone(seconds: float, hz: float, amp: float = 0.3, pad: float = 0.3) -> bytes:
    """A tone with `pad` seconds of silence on both sides (pieces are cut in silence)."""
    t = np.arange(int(seconds * RATE)) / RATE
    body = np.sin(2 * np.pi * hz * t) * amp
    silence = np.zeros(int(pad * RATE))
    return (np.concatenate([silence, body, silence]) * 32767).astype("<i2").tobytes()


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    folder = tmp_path_factory.mktemp("join_pieces")
    pcms = [tone(1.3, 440), tone(0.7, 880, 0.5), tone(2.1, 660, 0.2)]
    pieces, blocks = [], []
    for n, pcm in enumerate(pcms):
        raw = folder / f"p{n}.raw"
        raw.write_bytes(pcm)
        blocks.append(encode_master(raw, RATE, 1, Master(0.0, None), folder / f"p{n}.mp3", 96))
        pieces.append(read_encoded(folder / f"p{n}.mp3"))
    out = folder / "joined.mp3"
    lengths = [len(p) // 2 for p in pcms]
    padding = pieces[-1].frames * 1152 - pieces[-1].delay - lengths[-1]
    with open(out, "wb") as f:
        join_pieces(pieces, f, padding)
    starts = np.cumsum([0] + [p.frames * 1152 for p in pieces[:-1]])
    return out, pieces, blocks, lengths, starts


def test_joined_pieces_decode_to_one_stream_with_every_piece_where_the_timeline_says(joined):
    out, pieces, _, lengths, starts = joined
    audio = decode(out)
    assert len(audio) == starts[-1] + lengths[-1]  # decoders trim the first delay and the last padding only
    for start, n, hz in zip(starts, lengths, (440, 880, 660)):
        body = audio[start + int(0.3 * RATE) : start + n - int(0.3 * RATE)]
        spectrum = np.abs(np.fft.rfft(body))
        assert abs(np.argmax(spectrum) * RATE / len(body) - hz) < 3
        assert np.abs(audio[start : start + int(0.25 * RATE)]).max() < 0.01  # the silence stays silence
    assert abs(MP3(out).info.length - len(audio) / RATE) < 0.06  # mutagen reads the header: as close as for one encode


def test_the_joined_info_header_counts_frames_and_bytes_and_its_crcs_hold(joined):
    out, pieces, _, _, _ = joined
    data = out.read_bytes()
    offsets, _, _ = mp3_frames(data)
    tag = data.find(b"Info")
    frames, size = struct.unpack(">II", data[tag + 8 : tag + 16])
    assert frames == len(offsets) - 1 == sum(p.frames for p in pieces)
    assert size == len(data)
    lame = tag + 120
    music_length, music_crc, tag_crc = struct.unpack(">IHH", data[lame + 28 : lame + 36])
    assert music_length == len(data)
    assert music_crc == crc16(data[offsets[0] : offsets[-1]])  # combined from the pieces' own CRCs
    head = bytearray(data[:190])
    head[lame + 34 : lame + 36] = b"\0\0"
    assert tag_crc == crc16(bytes(head))


def test_crc_of_a_concatenation_from_its_parts():
    a, b = bytes(range(256)) * 7, b"studio" * 1001
    assert crc16_combine(crc16(a), crc16(b), len(b)) == crc16(a + b)
    assert crc16_combine(crc16(a), crc16(b""), 0) == crc16(a)


def test_loudness_from_the_pieces_blocks_matches_a_measurement_of_the_joined_file(joined):
    out, _, blocks, _, _ = joined
    whole, measured = combine(blocks), loudness(out)
    assert abs(whole.integrated - measured.integrated) <= 0.2
    assert abs(whole.true_peak - measured.true_peak) <= 0.2


def test_gating_and_range_follow_bs1770_and_tech_3342():
    assert integrated([-20.0] * 50) == -20.0
    assert integrated([-20.0] * 50 + [-80.0] * 500) == -20.0  # under the absolute gate
    assert integrated([-20.0] * 50 + [-35.0] * 50) == -20.0  # under the relative gate (-10 LU)
    assert integrated([-20.0] * 50 + [-26.0] * 50) == -22.0  # energies averaged, not LUFS values
    assert loudness_range([-20.0] * 100) == 0.0
    assert loudness_range([-30.0] * 20 + [-20.0] * 80) == 10.0
    assert combine([Blocks([-20.0] * 10, [], -3.0), Blocks([-20.0] * 10, [], -1.5)]).true_peak == -1.5


def _episode(show_dir: Path, count: int, edited: int | None = None) -> tuple[Episode, list]:
    items = [Item(title=f"第{n}条", text="x", speech_text="x", section="") for n in range(count)]
    ep = Episode(slug="pieces", title="分段", date=dt.date(2026, 3, 6), items=items, number=3,
                 source=show_dir / "episodes" / "pieces.md")
    clips = [make_clip(1.5 + 0.1 * (n % 4), 100 + n + (1000 if n == edited else 0), "mp3") for n in range(count)]
    return ep, clips


def _render(show_dir: Path, count: int, edited: int | None = None, **audio):
    show = load_show(show_dir / "show.toml")
    show.audio = dataclasses.replace(show.audio, **audio)
    ep, clips = _episode(show_dir, count, edited)
    ep_dir = show_dir / "out"
    ep_dir.mkdir(exist_ok=True)
    mastering = episode_mastering(show, ep, episode_audio(show, ep))
    result = render_audio(ep, clips, show, ep_dir, show.path(show.cover), mastering=mastering)
    return result, ep_dir


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    show_dir = tmp_path_factory.mktemp("edit")
    make_show(show_dir)
    first, ep_dir = _render(show_dir, 14, intro="", outro="")
    before = decode(ep_dir / "pieces.mp3")
    second, _ = _render(show_dir, 14, edited=9, intro="", outro="")
    return first, second, before, decode(ep_dir / "pieces.mp3"), show_dir


def test_an_episode_is_encoded_in_pieces_and_meets_the_target(edited):
    first, _, _, _, _ = edited
    loud = first.loudness
    assert loud["pieces"] >= 3 and loud["passes"] == 1
    assert first.work["encodes"] < 2 * loud["pieces"]  # these noise bursts need 9 dB of limiting: some pieces twice
    assert abs(loud["integrated_lufs"] - -16.0) <= 0.5 and loud["true_peak_dbtp"] <= -1.0


def test_the_seams_between_pieces_are_silent_and_every_item_is_where_the_manifest_says(edited):
    first, _, before, _, _ = edited
    spans = [(round(it["start_ms"] * RATE / 1000), round(it["end_ms"] * RATE / 1000)) for it in first.items]
    for (_, end), (start, _) in zip(spans, spans[1:]):
        gap = before[end + int(0.02 * RATE) : start - int(0.02 * RATE)]
        assert len(gap) > 0.4 * RATE and np.abs(gap).max() < 0.003  # silence, no click at any cut
    for start, end in spans:
        speech = before[start : end]
        assert np.sqrt(np.mean(speech**2)) > 0.02  # speech fills the item's span


def test_an_edit_re_encodes_only_the_pieces_around_the_edited_item(edited):
    first, second, before, after, _ = edited
    loud, work = second.loudness, second.work
    assert work["pieces_reused"] >= loud["pieces"] - 2 and work["encodes"] <= 3
    assert abs(loud["integrated_lufs"] - -16.0) <= 0.5 and loud["true_peak_dbtp"] <= -1.0
    # the items before the edited one are the same samples, to the last bit
    end = round(first.items[7]["end_ms"] * RATE / 1000)
    assert np.array_equal(before[:end], after[:end])
    assert first.items[9]["start_ms"] == second.items[9]["start_ms"]


def test_rebuilding_keeps_one_episodes_pieces_only(edited):
    _, second, _, _, show_dir = edited
    kept = list((show_dir / ".studio-cache" / "encoded" / "pieces").glob("*.mp3"))
    assert len(kept) == second.loudness["pieces"]
    state = json.loads((show_dir / ".studio-cache" / "encoded" / "pieces" / "state.json").read_text())
    assert math.isfinite(state["master_db"])


def test_pieces_are_encoded_while_later_clips_are_still_spoken(tmp_path, stand_in):  # noqa: F811
    stand_in.latency = 0.4
    texts = [f"第{k}条新闻：英伟达发布了新的芯片，性能提升了{k}倍。" for k in range(1, 11)]
    show = show_at(tmp_path / "show")
    ep = speech_episode(texts, tmp_path)
    settings = episode_audio(show, ep)
    folder = show.path(show.speech.cache_dir) / "encoded" / ep.slug
    mastering = episode_mastering(show, ep, settings)
    mastering.ahead()
    speech = synthesize_episode(ep, show, "edge", tmp_path / "cache", jobs=1,
                                on_clip=lambda i, clip: mastering.clip(i, clip.audio))
    early = list(folder.glob("*.mp3")) if folder.is_dir() else []  # before the audio stage even starts
    ep_dir = tmp_path / "out"
    ep_dir.mkdir()
    result = render_audio(ep, speech.clips, show, ep_dir, show.path(show.cover), mastering=mastering)
    assert early, "no piece was encoded before the last clip arrived"
    assert len(early) < result.loudness["pieces"]  # the last piece waits for the last clip
    assert abs(result.loudness["integrated_lufs"] - -16.0) <= 0.5


def _pieces_encoded_ahead(show_dir: Path, texts: list[str], clips: list[bytes], every_item_sounds: bool,
                          wait_s: float) -> int:
    """Pieces encoded ahead once the given clips are in (the item after them never arrives)."""
    show = show_at(show_dir)
    ep = speech_episode(texts + ["后面还有一条很长的新闻。"], show_dir)
    mastering = episode_mastering(show, ep, episode_audio(show, ep))
    folder = show.path(show.speech.cache_dir) / "encoded" / ep.slug
    try:
        mastering.ahead(every_item_sounds=every_item_sounds)
        for i, audio in enumerate(clips):
            mastering.clip(i, audio)
        deadline, seen = time.monotonic() + wait_s, 0
        while time.monotonic() < deadline:
            seen = len(list(folder.glob("*.json"))) if folder.is_dir() else 0
            if seen >= 2 or (seen and not every_item_sounds):
                time.sleep(0.5)  # anything else it would encode
                seen = len(list(folder.glob("*.json")))
                break
            time.sleep(0.05)
    finally:
        mastering.close()
    return seen


def test_a_piece_is_encoded_without_waiting_for_the_clip_after_it(tmp_path):
    """A voice's clip always has audio, so in a build the piece that ends with the last item in is
    encoded at once, not when the next item (perhaps a long one, still being spoken) arrives."""
    from devtools.edge_server import espeak_mp3
    from studio.audio.decoder import ClipDecoder

    keys = ClipDecoder(44100, 1)
    texts, clips = [], []
    for k in range(60):  # the second item must end a piece: its clip's hash picks it (about one in three)
        text = f"第{k}条新闻：英伟达发布了新的芯片。"
        audio = espeak_mp3("zh-CN-XiaoxiaoNeural", text)[0]
        if len(clips) == 1 and int(keys.key(audio)[:8], 16) % 3:
            continue
        texts.append(text)
        clips.append(audio)
        if len(clips) == 2:
            break
    keys.close()
    promised = _pieces_encoded_ahead(tmp_path / "a", texts, clips, True, 20)
    waiting = _pieces_encoded_ahead(tmp_path / "b", texts, clips, False, 3)
    assert promised == waiting + 1  # without the promise, the piece with the last clip waits for the next
