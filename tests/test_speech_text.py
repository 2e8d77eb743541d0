"""Speech text: request splitting, punctuation-only chunks, lexicon, language segments, plans."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.errors import ConfigError, ScriptError
from studio.speech.lexicon import Lexicon, load_lexicon
from studio.speech.plan import plan_speech
from studio.speech.text import is_speakable, language_segments, split_for_requests
from studio.speech.voices import known_voices
from tests.speech_support import episode, show_at

SENTENCES = st.lists(
    st.sampled_from(["今天天气很好。", "英伟达发布了新芯片！", "……", "A&B <tag> 公司。", "Hello world. ", "为什么？", "；", "数据中心"]),
    min_size=1, max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(parts=SENTENCES, limit=st.integers(min_value=24, max_value=300))
def test_chunks_fit_the_limit_keep_all_speakable_text_and_are_never_punctuation_only(parts, limit):
    text = "".join(parts)
    chunks = split_for_requests(text, limit)
    assert all(len(escape(c).encode("utf-8")) <= limit for c in chunks)
    assert all(is_speakable(c) for c in chunks)
    squash = lambda s: "".join(ch for ch in s if ch.isalnum())  # noqa: E731
    assert squash("".join(chunks)) == squash(text)


def test_chunks_break_after_sentences_when_they_can():
    text = "第一句话很长很长。" * 20
    chunks = split_for_requests(text, 100)
    assert len(chunks) > 1 and all(c.endswith("。") for c in chunks)


@settings(max_examples=60, deadline=None)
@given(parts=SENTENCES, target=st.integers(min_value=24, max_value=300))
def test_a_request_target_packs_whole_sentences_and_never_cuts_one(parts, target):
    """Requests sized for speed (studio.speech.engines request_bytes) break only between sentences:
    a sentence over the target is a request of its own, whole (the hard limit alone cuts)."""
    text = "".join(parts)
    chunks = split_for_requests(text, 4096, target)
    whole = [s.strip() for s in split_for_requests(text, 4096, 1)]  # one sentence a chunk
    assert all(len(escape(c).encode("utf-8")) <= target or c in whole for c in chunks)
    squash = lambda s: "".join(ch for ch in s if ch.isalnum())  # noqa: E731
    assert squash("".join(chunks)) == squash(text)
    starts = {squash("".join(whole[:k])) for k in range(len(whole) + 1)}
    done = ""
    for c in chunks:  # every chunk ends where a sentence does
        done += squash(c)
        assert done in starts


def test_punctuation_only_text_gives_no_chunks():
    assert split_for_requests("……") == [] and split_for_requests("。！？ ——") == []


def test_lexicon_whole_words_for_latin_terms_and_anywhere_for_cjk():
    lex = Lexicon({"A16Z": "A十六Z", "GPU": "G P U", "算力": "计算能力", "GPU集群": "G P U 集群"})
    assert lex.apply("A16Z投资了A16Zeta和xA16Z，还有A16Z。") == "A十六Z投资了A16Zeta和xA16Z，还有A十六Z。"
    assert lex.apply("GPU集群和GPUs的算力") == "G P U 集群和GPUs的计算能力"  # longest term wins


def test_lexicon_file_errors_name_the_file(tmp_path):
    p = tmp_path / "lexicon.toml"
    p.write_text('"A16Z" = 16\n', "utf-8")
    with pytest.raises(ConfigError, match="lexicon.toml.*spoken form must be a string"):
        load_lexicon(p)
    p.write_text('[words]\n"A16Z" = "A十六Z"\n', "utf-8")
    assert load_lexicon(p).apply("A16Z") == "A十六Z"
    assert len(load_lexicon(tmp_path / "missing.toml")) == 0
    with pytest.raises(ConfigError, match="not found"):
        load_lexicon(tmp_path / "missing.toml", required=True)


def test_english_spans_need_three_words():
    segs = language_segments("苹果发布MM1模型。Apple shares its multimodal model details. 英伟达GPU很贵。")
    assert segs == [("苹果发布MM1模型。", False), ("Apple shares its multimodal model details.", True),
                    (" 英伟达GPU很贵。", False)]
    assert language_segments("只有中文。") == [("只有中文。", False)]


def test_plan_alternates_hosts_and_applies_overrides(tmp_path):
    show = show_at(tmp_path, speech='hosts = ["zh-CN-YunxiNeural", "zh-CN-XiaoyiNeural"]')
    ep = episode(["一。", "二。", "三。", "四。", "五。"], tmp_path, sections=["A", "A", "B", "B", "B"],
                 meta={"voices": {"B": "zh-CN-YunjianNeural", "5": "zh-TW-HsiaoChenNeural"}})
    ep.items[0].voice = "zh-HK-HiuGaaiNeural"
    plans = plan_speech(show, ep, known_voices(), Lexicon())
    assert [p.voices for p in plans] == [["zh-HK-HiuGaaiNeural"], ["zh-CN-XiaoyiNeural"], ["zh-CN-YunjianNeural"],
                                         ["zh-CN-YunjianNeural"], ["zh-TW-HsiaoChenNeural"]]
    ep.meta = {"hosts": ["zh-CN-XiaoxiaoNeural", "zh-CN-YunyangNeural"]}  # the episode's hosts win over the show's
    ep.items[0].voice = None
    assert [p.voices[0] for p in plan_speech(show, ep, known_voices(), Lexicon())] == [
        "zh-CN-XiaoxiaoNeural", "zh-CN-YunyangNeural"] * 2 + ["zh-CN-XiaoxiaoNeural"]


def test_bad_voice_settings_name_the_file_and_suggest(tmp_path):
    show = show_at(tmp_path)
    ep = episode(["一。"], tmp_path, meta={"voices": {"热点": "zh-CN-YunxiNeural"}}, sections=["热点新闻"])
    with pytest.raises(ScriptError, match=r"episode.md: front matter 'voices.热点'.*did you mean '热点新闻'"):
        plan_speech(show, ep, known_voices(), Lexicon())
    ep.meta = {"english_voice": "en-US-AriaNeurl"}
    with pytest.raises(ScriptError, match="did you mean en-US-AriaNeural"):
        plan_speech(show, ep, known_voices(), Lexicon())
    ep.meta = {"hosts": "zh-CN-YunxiNeural"}
    with pytest.raises(ScriptError, match="'hosts': must be a list"):
        plan_speech(show, ep, known_voices(), Lexicon())
    bad = show_at(tmp_path / "b", speech='english_voice = "en-US-Jeny"')
    with pytest.raises(ConfigError, match=r"show.toml: key 'speech.english_voice': unknown voice"):
        plan_speech(bad, episode(["一。"], tmp_path), known_voices(), Lexicon())


def test_speech_config_is_validated(tmp_path):
    with pytest.raises(ConfigError, match=r"speech.rate': must look like '\+10%'"):
        show_at(tmp_path, speech='rate = "fast"')
    with pytest.raises(ConfigError, match="speech.jobs"):
        show_at(tmp_path, speech="jobs = 0")


def test_coverage_accepts_respelled_endings_but_not_cut_audio():
    from studio.speech.align import coverage_problem
    from studio.speech.base import Boundary

    text = "公司完成融资，市值达到10亿美元"
    words = [Boundary("word", i * 300.0, 280.0, w) for i, w in enumerate(["公司", "完成", "融资", "市值", "达到"])]
    said_differently = words + [Boundary("word", 1500.0, 900.0, "十亿美元")]  # the service's own spelling
    assert coverage_problem(text, said_differently, audio_ms=2600) is None
    assert coverage_problem(text, words, audio_ms=1500) is not None  # audio ends right after "达到"
    assert "stops early" in coverage_problem(text, words[:2], audio_ms=650)
    assert coverage_problem(text, words, audio_ms=400) is not None  # words run past the audio
