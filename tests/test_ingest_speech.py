"""Speech text: plain and speakable for Chinese TTS, nothing a listener needs dropped."""

from __future__ import annotations

import re

import pytest

from studio.ingest import read_episode
from studio.ingest.speech_text import to_speech_text

UNSPEAKABLE = re.compile(r"https?://|www\.|\[链接\]|链接\]|\]\(|!\[|\*\*|<[a-z/]|^#|^>|^\s*[-*•]\s|↩|\.jpe?g|\.png", re.M)
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_speech_text_is_plain(seeds_dir, prefix):
    (path,) = seeds_dir.glob(f"{prefix}_*.txt")
    for item in read_episode(path).items:
        assert item.speech_text.strip(), item.title
        assert not UNSPEAKABLE.search(item.speech_text), (item.title, item.speech_text[:200])
        assert not EMOJI.search(item.speech_text)
        assert "报道详情" not in item.speech_text


def test_links_images_markup_and_emoji_are_removed():
    display = "**英伟达**发布了 *新* 芯片 🚀，见 [官网](https://nvidia.com) 和 https://x.com/a。![图](a.jpg)<br>"
    assert to_speech_text(display) == "英伟达发布了 新 芯片，见 官网 和。"


def test_link_words_and_report_links_disappear():
    assert to_speech_text("腾讯推出新平台。（报道详情：[https://a.com/x](https://a.com/x)）") == "腾讯推出新平台。"
    assert to_speech_text("英伟达推出GR00T。 [链接](https://spectrum.ieee.org/x)") == "英伟达推出GR00T。"
    assert to_speech_text("见原文[链接]。") == "见原文。"
    assert to_speech_text("增长了 171%[2]。") == "增长了 171%。"


def test_bullets_become_sentences():
    display = "NVIDIA 采取了多管齐下的策略,其中包括:\n\n- 对公司进行投资\n- 支持 GPU 云服务提供商\n* Expand into new verticals"
    assert to_speech_text(display) == (
        "NVIDIA 采取了多管齐下的策略,其中包括:对公司进行投资。支持 GPU 云服务提供商。Expand into new verticals."
    )


def test_headings_quotes_and_line_breaks_read_as_sentences():
    assert to_speech_text("## 工具篇\n> 导读：本期内容\n第一行\n第二行。") == "工具篇。导读：本期内容。第一行。第二行。"
    assert to_speech_text("First line\nsecond line") == "First line. second line"


def test_numbers_and_names_survive():
    text = "Character.ai 完成 1.5 亿美元融资,GPT-4 和 H100 芯片;估值 20-25%。"
    assert to_speech_text(text) == text


def test_report_speech_has_no_footnote_numbers(seeds_dir):
    (path,) = seeds_dir.glob("002_*.txt")
    items = read_episode(path).items
    gpu = items[2].speech_text
    assert "171%。" in gpu and "疲软。" in gpu
    edge = next(it for it in items if it.title.startswith("Private companies"))
    assert edge.speech_text == "Private companies are shoring up NVIDIA GPUs and wielding them as a competitive edge"
