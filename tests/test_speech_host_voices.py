"""Voices a host meets (issue 27.7): `studio voices --engine espeak` lists the offline voices and
what each reads; an item in English in a Chinese show is read by `english_voice`, or the build
says once which items are in English and read by a voice of another script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.speech.lexicon import Lexicon
from studio.speech.plan import english_note, in_english, plan_speech
from studio.speech.voices import known_voices
from tests.conftest import REPO, bare_env, run_studio
from tests.host_loop_support import loop_show, script
from tests.speech_support import episode, load_json, show_at

ENGLISH = "Apple unveiled the Vision Pro — a headset it calls a “spatial computer” — at its developer conference."
ITEMS = [("英伟达", "英伟达发布了新的数据中心芯片，性能提升了三倍。"),
         ("Apple", ENGLISH),
         ("Meta", "Meta released Llama 3, an open model, and says a larger one is still training."),
         ("苹果", "苹果发布了 Vision Pro 头显，售价三千四百九十九美元。")]


def test_voices_lists_the_offline_voices_and_what_each_reads(tmp_path: Path):
    log = tmp_path / "net.jsonl"
    env = dict(bare_env(), STUDIO_NET_LOG=str(log), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "devtools.loopback_only", "-m", "studio", "voices", "--engine", "espeak",
                           "--lang", "zh", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == "espeak"
    names = {v["ShortName"]: v for v in data["voices"]}
    assert "cmn" in names and "yue" in names and "reads zh-* voices" in names["cmn"]["FriendlyName"]
    assert all(any(lang == "zh" or lang.startswith("zh-") for lang in v["Languages"]) for v in data["voices"])
    assert not log.exists()  # no network: the list is espeak-ng's own

    proc = run_studio(["voices", "--engine", "espeak", "--lang", "en"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    us = [line for line in proc.stdout.splitlines() if line.startswith("en-US ")]
    assert us and "reads en-* voices" in us[0] and "voices (espeak list)" in proc.stderr


def build_json(root: Path, *extra: str) -> tuple[dict, subprocess.CompletedProcess]:
    proc = run_studio(["build", "episodes/e.md", "--engine", "espeak", "--json", "--force", *extra], cwd=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc


def test_english_items_in_a_chinese_show_are_named_once_or_read_by_the_english_voice(tmp_path: Path):
    root = loop_show(tmp_path / "show", {"e.md": script("双语", "2026-03-01", 1, ITEMS, slug="bilingual")})
    summary, proc = build_json(root)
    (warning,) = [w for w in summary["warnings"] if "English" in w]
    assert "item 2 ('Apple')" in warning and "item 3 ('Meta')" in warning and "item 1" not in warning
    assert "item 4" not in warning  # Chinese with an English product name is Chinese
    assert "read by zh-CN-XiaoxiaoNeural" in warning and "speech.english_voice" in warning
    assert proc.stderr.count("in English but read by") == 1  # one warning for the episode, not one per item

    toml = root / "show.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[speech]\nenglish_voice = "en-US-AriaNeural"\n', "utf-8")
    summary, proc = build_json(root)
    assert not [w for w in summary["warnings"] if "English" in w] and "English" not in proc.stderr
    voices = [it["voices"] for it in load_json(Path(summary["out"]) / "manifest.json")["items"]]
    # the English items whole (dashes and curly quotes too) in the English voice; the Chinese item's
    # two-word product name stays in the Chinese voice (a span needs three words)
    assert voices == [["zh-CN-XiaoxiaoNeural"], ["en-US-AriaNeural"], ["en-US-AriaNeural"], ["zh-CN-XiaoxiaoNeural"]]


def test_an_english_item_with_a_voice_set_for_it_is_the_hosts_choice(tmp_path: Path):
    show = show_at(tmp_path)
    ep = episode(["中文的新闻。", ENGLISH, ENGLISH], tmp_path, meta={"voices": {"3": "zh-CN-YunxiNeural"}})
    plans = plan_speech(show, ep, known_voices(), Lexicon())
    assert [p.voices for p in plans] == [["zh-CN-XiaoxiaoNeural"], ["zh-CN-XiaoxiaoNeural"], ["zh-CN-YunxiNeural"]]
    assert [p.english for p in plans] == [False, True, False]
    note = english_note(plans)
    assert note.startswith("item 2 ('Story 2') is in English") and "item 3" not in note


@pytest.mark.parametrize("text, english", [
    ("Apple unveils the Vision Pro headset at WWDC.", True),
    ("OpenAI's GPT-4o: faster, cheaper — and it talks.", True),
    ("苹果发布 Apple Vision Pro 头显。", False),
    ("Nvidia: 英伟达发布了 Blackwell B200 GPU，性能提升。", False),
    ("GPT-4o", False),  # too short to say
])
def test_english_is_told_by_its_letters(text: str, english: bool):
    assert in_english(text) is english
