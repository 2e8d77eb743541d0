"""What readers see of Chinese typography, dates and durations (issue 22, point 11): full-width punctuation
next to Latin words inside Chinese sentences, and one date and duration style, durations labelled."""

from __future__ import annotations

import datetime as dt

import pytest

from studio.present.cjk import fonts_for, punctuate
from studio.present.labels import LABELS, duration_text, episode_meta


@pytest.mark.parametrize("text,shown", [
    ("风险投资公司A16Z,也就是Anderson Horowitz,它支持的", "风险投资公司A16Z，也就是Anderson Horowitz，它支持的"),
    ("也就是Model as a Service,已成为行业标准", "也就是Model as a Service，已成为行业标准"),
    ("据了解,Naver已经与沙特阿拉伯签署协议", "据了解，Naver已经与沙特阿拉伯签署协议"),
    ("市值1,000亿美元", "市值1,000亿美元"),  # a number keeps its comma
    ("北京时间08:51发布", "北京时间08:51发布"),  # a time keeps its colon
    ("详见https://example.com/a,b?x=1页面", "详见https://example.com/a,b?x=1页面"),  # a URL is left alone
    ("Hello, world: fine!", "Hello, world: fine!"),  # Latin-only text too
])
def test_punctuation_next_to_latin_words_is_full_width_in_chinese_sentences(text, shown):
    assert punctuate(text) == shown


def test_chinese_text_asks_for_cjk_faces_first_and_every_stack_ends_sans_serif():
    assert fonts_for(True).startswith("'PingFang SC'") and fonts_for(True).endswith(",sans-serif")
    assert fonts_for(False).startswith("-apple-system") and fonts_for(False).endswith(",sans-serif")


def test_dates_are_written_out_and_durations_say_they_are_durations():
    zh, en = LABELS["zh"], LABELS["en"]
    assert episode_meta(zh, 2, "2024-03-27", 668_600) == "第 2 期 · 2024年3月27日 · 时长 11:09"
    assert episode_meta(en, 2, dt.date(2024, 3, 27), 668_400) == "No. 2 · March 27, 2024 · Duration 11:08"
    assert episode_meta(zh, None, "2024-03-27") == "2024年3月27日"
    assert duration_text(3_725_000, zh) == "时长 1:02:05"  # rounded as the feed's itunes:duration is
