"""Spoken transcripts (seed 000): sentences, intro/outro, story segmentation, titles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.ingest import read_episode
from studio.ingest.segment import segment
from studio.ingest.sentences import split_sentences
from studio.ingest.speech_text import to_speech_text
from studio.ingest.textwidth import width
from studio.ingest.typography import display_text

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
REPO = Path(__file__).resolve().parents[1]
SEED = "000_deda1e7c2e026595.txt"


def pk(reference: list[int], hypothesis: list[int], k: int) -> float:
    """Beeferman's Pk: how often a window of k sentences disagrees on 'same story?'."""
    n = len(reference)
    errors = sum((reference[i] == reference[i + k]) != (hypothesis[i] == hypothesis[i + k]) for i in range(n - k))
    return errors / (n - k)


def window(reference: list[int]) -> int:
    """Half the mean reference item length, in sentences."""
    return max(1, round(len(reference) / len(set(reference)) / 2))


@pytest.fixture(scope="module")
def labels() -> dict:
    return json.loads((FIXTURES / "seed000_stories.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def episode(seeds_dir):
    return read_episode(seeds_dir / SEED)


def test_seed_and_example_are_detected_as_transcripts(episode):
    assert episode.format == "transcript"
    example = read_episode(REPO / "episodes" / "2023-06-02-ai-compute-weekly.txt")
    assert example.format == "transcript"
    assert example.title == "AI算力Web3周报 · 2023年6月第一期"  # from the TOML front matter
    assert example.number == 1
    assert [it.title for it in example.items] == [it.title for it in episode.items]


def test_intro_and_outro_are_their_own_items(episode):
    assert episode.items[0].kind == "intro"
    assert episode.items[0].text == "大家好，这里是AI算力Web3周报2023年6月的第一期。"  # display typography
    assert episode.items[0].speech_text == "大家好,这里是AI算力Web3周报2023年6月的第一期。"  # speech as typed
    assert episode.items[-1].kind == "outro"
    assert episode.items[-1].text == "这期节目就到这里,Thanks for listening!"  # CJK then Latin: left alone
    assert {it.kind for it in episode.items[1:-1]} == {"story"}
    assert episode.title == "AI算力Web3周报2023年6月的第一期"  # named in the greeting


def test_stories_match_a_listener_and_titles_are_headlines(episode, labels):
    # Seed 000 is one of 18 sources the shipped model is fitted on, weighing the same as each of the others
    # (issue 25: weights that generalise to sources never seen; the model before memorised this file, 22
    # items of 23, and did no better than 0.31 Pk held out). Every item Studio makes starts where a story of
    # the hand labels starts, and it finds about seven in ten of them.
    stories = labels["stories"]
    assert 16 <= len(episode.items) <= 25
    hits = sum(any(it.text.startswith(display_text(story["sentences"][0])) for it in episode.items) for story in stories)
    assert hits == len(episode.items) and hits >= 16
    titles = [it.title for it in episode.items]
    assert len(set(titles)) == len(titles)
    for item in episode.items[1:-1]:
        assert 0 < width(item.title) <= 48
        # in the story's own words (some left out, none added but the speaker's colon), more than a bare name
        rest = iter(item.text.replace(" ", ""))
        assert all(c in rest for c in item.title.replace(" ", "").replace("：", "").replace("等", "")), item.title
        assert len(item.title) >= 6, item.title


def _hypothesis_labels(items, sentences: list[str], source: str) -> list[int]:
    """The item index holding each reference sentence (located in the source text)."""
    spans, pos = [], 0
    for n, item in enumerate(items):
        start = source.index(item.text, pos)
        spans.append((start, start + len(item.text), n))
        pos = start + len(item.text)
    out, pos = [], 0
    for sentence in sentences:
        at = source.index(sentence, pos)
        out.append(next(n for a, b, n in spans if a <= at < b))
        pos = at + len(sentence)
    return out


def test_pk_on_seed_000_hand_labels(episode, labels, seeds_dir):
    source = display_text((seeds_dir / SEED).read_text(encoding="utf-8"))  # items carry display typography
    reference = [n for n, story in enumerate(labels["stories"]) for _ in story["sentences"]]
    sentences = [display_text(s) for story in labels["stories"] for s in story["sentences"]]
    hypothesis = _hypothesis_labels(episode.items, sentences, source)
    k = window(reference)
    score = pk(reference, hypothesis, k)
    print(f"\nseed 000 Pk = {score:.3f} (k = {k}, {len(sentences)} sentences, {len(labels['stories'])} items)")
    assert score <= 0.20  # in-sample, one source of 18 (see above); held out: benchmarks/bench_segmentation.py


@pytest.mark.parametrize("seed", ["003_922d16547225d989.txt", "004_c00ac035439ed75e.txt"])
def test_pk_held_out_stories_read_aloud(seeds_dir, seed):
    """Held-out check: the items of a structured seed read as one unmarked paragraph.

    The segmenter's rules were written while reading seed 000; these stories were
    not used, so the figure shows how it generalises (printed; guarded loosely).
    """
    reference, texts = [], []
    for n, item in enumerate(read_episode(seeds_dir / seed).items):
        for sentence in split_sentences(to_speech_text(item.text)):
            reference.append(n)
            texts.append(sentence.text)
    hypothesis = [0] * len(reference)
    for g, group in enumerate(segment(texts)[0]):
        for i in group:
            hypothesis[i] = g
    score = pk(reference, hypothesis, window(reference))
    print(f"\nheld-out {seed[:3]} Pk = {score:.3f} (k = {window(reference)})")
    assert score <= 0.45


def test_sentences_do_not_split_numbers_or_names():
    text = "公司完成1.5亿美元A轮融资。Character.ai上线!Mr. Smith met J. Doe at 3 p.m. today. Then he left… 好"
    assert [s.text for s in split_sentences(text)] == [
        "公司完成1.5亿美元A轮融资。",
        "Character.ai上线!",
        "Mr. Smith met J. Doe at 3 p.m. today.",
        "Then he left…",
        "好",
    ]


def test_sentence_offsets_point_into_the_text():
    text = "  第一句。“第二句！”第三句\n第四句"
    for s in split_sentences(text, 100):
        assert text[s.start - 100 : s.end - 100] == s.text


def write(tmp_path: Path, text: str, name: str = "show.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


LONG = (
    "大家好,这里是测试周报。" + "AI初创公司Runway完成融资,估值达到15亿美元,谷歌参与投资。" * 3 + "公司计划扩大团队。" * 3
)


def test_host_boundaries_blank_line_and_rule(tmp_path):
    text = LONG + "\n\n公司另有一件事要说明,这是第二个故事。\n---\n公司还有第三件事。这期节目就到这里,感谢收听。"
    items = read_episode(write(tmp_path, text), "transcript").items
    assert items[0].kind == "intro" and items[-1].kind == "outro"
    texts = [it.text for it in items]
    assert "公司另有一件事要说明，这是第二个故事。" in texts  # the blank line and the rule win
    assert "公司还有第三件事。" in texts
    assert items[1].title.startswith("Runway完成融资")


def test_transcript_without_greeting_or_sign_off(tmp_path):
    text = "微软发布了新模型,面向企业客户。公司表示将持续投入。5月30日,英伟达市值突破1万亿美元。华尔街分析师看好英伟达。"
    items = read_episode(write(tmp_path, text), "transcript").items
    assert [(it.kind, it.title) for it in items] == [("story", "微软发布了新模型，面向企业客户"),
                                                     ("story", "英伟达市值突破1万亿美元")]
