"""Headline titles, `studio items --explain`, bullets without headings, display typography."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli.items import items_command
from studio.core.config import load_show
from studio.email.context import draft_context
from studio.email.render import render_email
from studio.ingest import read_episode
from studio.ingest.textwidth import width
from studio.ingest.titles import headline, unique_titles
from studio.ingest.typography import display_text
from studio.present.cjk import punctuate
from tests.conftest import make_show

REPO = Path(__file__).resolve().parents[1]
SEGMENTATION = REPO / "tests" / "fixtures" / "segmentation"
CJK = re.compile(r"[\u4e00-\u9fff]")


def within_limits(title: str) -> bool:
    return len(CJK.findall(title)) <= 24 and width(title) <= 48 if CJK.search(title) else len(title) <= 70


@pytest.mark.parametrize("text,title", [
    ("AI服务初创公司Runway完成1.41亿美元融资，估值达到15亿美元，谷歌参与投资。", "Runway完成1.41亿美元融资"),
    ("今天（11月15日），北京市发布通用人工智能发展措施，覆盖算力、数据和模型。", "北京市发布通用人工智能发展措施"),
    ("据新华社报道，教育部等18个部门联合印发意见。", "教育部等18个部门联合印发意见"),
    ("记者从中汽协了解到，10月新能源汽车销量同比增长。", "10月新能源汽车销量同比增长"),
    ("From David Binder: A Revised Haskell 2010 Language Report.", "A Revised Haskell 2010 Language Report"),
    ("How to migrate from Packer.nvim to Lazy.nvim: r/nvim member has made a video.",
     "How to migrate from Packer.nvim to Lazy.nvim"),
])
def test_headline_is_subject_and_what_happened_in_its_own_words(text, title):
    assert headline(text) == title


def test_long_sentences_are_cut_at_a_clause_or_word_never_inside_quotes():
    zh = "北京市政府办公厅正式发布《北京市促进通用人工智能创新发展的若干措施》，提出加强算力资源统筹供给能力，推动数据开放。"
    en = ("The Next.js team plans to publish security patches roughly once a month, with releases "
          "timed to coincide with the advisory disclosure window so that users can upgrade quickly.")
    quoted = "英伟达和Hippocratic AI开发了AI“代理护士”，成本远低于真人护士，每小时只需九美元左右的费用。"
    for text in (zh, en, quoted):
        title = headline(text)
        assert title and within_limits(title), title
        assert title.count("《") == title.count("》") and title.count("“") == title.count("”"), title
        plain = re.sub(r"\s", "", text)
        assert re.sub(r"\s", "", title) in plain  # its own words, uncut
        assert not title.endswith(("的", "和", "了", "the", "of", "and", ",", "，"))
    assert headline(en).startswith("The Next.js team plans to publish security patches")


def test_titles_in_an_episode_are_unique():
    texts = ["北京市发布措施，支持算力。", "北京市发布措施，支持数据开放和模型训练。", "北京市发布措施，支持算力。"]
    titles = unique_titles([headline(t) for t in texts], texts)
    assert len(set(titles)) == 3 and all(within_limits(t) for t in titles)


@pytest.mark.parametrize("name", sorted(p.stem for p in SEGMENTATION.glob("*.txt")))
def test_every_transcript_item_gets_a_distinct_headline(name):
    items = read_episode(SEGMENTATION / f"{name}.txt", "transcript").items
    titles = [it.title for it in items]
    assert len(set(titles)) == len(titles)
    for it in items:
        assert within_limits(it.title), it.title
        if it.kind == "story":
            assert len(it.title) >= 6, it.title  # more than a bare name
            words = re.sub(r"\s", "", it.title)[:4]
            assert words in re.sub(r"\s", "", it.text), (it.title, it.text[:60])


def test_bullets_without_heading_are_listed_with_a_headline_for_the_chapter(seeds_dir):
    items = read_episode(seeds_dir / "004_c00ac035439ed75e.txt").items
    headed = [it for it in items if it.show_heading]
    bullets = [it for it in items if not it.show_heading]
    assert len(headed) == 4 and len(bullets) == 25
    assert all(it.title and within_limits(it.title) and "…" not in it.title for it in bullets)
    assert len({it.title for it in items}) == len(items)
    example = read_episode(REPO / "episodes" / "2024-03-27-ai-newsletter.md").items
    assert sum(not it.show_heading for it in example) == 25


def test_the_example_newsletter_lists_its_bullets_without_headings(tmp_path):
    """Bullets read from the script have no heading in the email: they are listed under their section."""
    show = load_show(make_show(tmp_path) / "show.toml")
    episode = read_episode(REPO / "episodes" / "2024-03-27-ai-newsletter.md")
    bullets = [it for it in episode.items if not it.show_heading]
    assert bullets and all(it.title for it in bullets)  # a headline for the chapters all the same
    html = render_email(show, draft_context(show, episode)).html
    anchors = dict((int(n), tag) for tag, n in re.findall(r'<(\w+)[^>]*\bid="item-(\d+)"', html))
    headings = " ".join(re.findall(r"<h3[^>]*>(.*?)</h3>", html, re.S))
    for n, it in enumerate(episode.items, 1):
        assert anchors[n] == ("div" if it.show_heading else "li"), (n, it.title)  # a story, or a brief
        assert (punctuate(it.title) in headings) == it.show_heading


def test_explain_shows_every_sentence_its_decision_and_evidence(seeds_dir, capsys):
    path = seeds_dir / "000_deda1e7c2e026595.txt"
    assert items_command(path, None, True, explain=True) == 0
    data = json.loads(capsys.readouterr().out)
    units = data["units"]
    episode = read_episode(path)
    assert len(units) == 37 and sum(u["starts_item"] for u in units) == len(episode.items)
    assert units[0]["starts_item"] and units[0]["probability"] is None
    for u in units[1:]:
        assert 0 <= u["probability"] <= 1 and u["evidence"] and "cos1" in u["features"]
        assert u["starts_item"] == (u["probability"] >= 0.5 or u["forced"])
    assert items_command(path, None, False, explain=True) == 0
    table = capsys.readouterr().out
    assert table.count("START") == len(episode.items) and "greeting_p" in table


def test_explain_names_host_breaks_and_structured_formats(tmp_path, seeds_dir, capsys):
    script = tmp_path / "show.txt"
    script.write_text("大家好，这里是测试周报。微软发布了新模型。\n\n公司表示将持续投入。", encoding="utf-8")
    assert items_command(script, "transcript", False, explain=True) == 0
    assert "host break" in capsys.readouterr().out
    assert items_command(seeds_dir / "004_c00ac035439ed75e.txt", None, False, explain=True) == 0
    assert "structure" in capsys.readouterr().out


def test_explain_on_the_command_line(seeds_dir):
    out = subprocess.run([sys.executable, "-m", "studio", "items", str(seeds_dir / "001_599598a1c75da14d.txt"),
                          "--explain"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("START") >= 4  # the article's paragraphs grouped into stories


@pytest.mark.parametrize("typed,shown", [
    ("大家好,这里是测试周报.", "大家好，这里是测试周报。"),
    ("问题?答案;结论:好!", "问题？答案；结论：好！"),
    ("版本3.5发布,售价1,000元", "版本3.5发布，售价1,000元"),
    ("链接 https://a.cn/x,y:z 见下,好", "链接 https://a.cn/x,y:z 见下，好"),
    ("Hello, world. 你好,Tom", "Hello, world. 你好,Tom"),
])
def test_display_text_uses_full_width_punctuation_between_cjk(typed, shown):
    assert display_text(typed) == shown


def test_speech_text_keeps_what_the_host_typed(tmp_path):
    script = tmp_path / "show.txt"
    script.write_text("大家好,这里是测试周报。微软发布了新模型,面向企业客户。", encoding="utf-8")
    items = read_episode(script, "transcript").items
    assert "，" in items[-1].text and "," not in items[-1].text
    assert "," in items[-1].speech_text


SAYING_END = re.compile(r"(?:指出|表示|宣布|声称|称|透露|强调|认为|说)$|\b(?:said|says|announced|announces|stated)$", re.I)
SEEDS = sorted((REPO / "tests" / "fixtures" / "seeds").glob("*.txt"))


@pytest.mark.parametrize("text,title", [
    ("Sam Altman在社交媒体上表示，其团队的开源权重模型发布将推迟至今年夏末，而非六月。", "Sam Altman：其团队的开源权重模型发布将推迟至今年"),
    ("Shing发帖宣布，Arc浏览器的新产品Dia将提供早鸟体验。", "Shing：Arc浏览器的新产品Dia将提供早鸟体验"),
    ("The finance ministry said, fuel prices will rise by a tenth at the start of next month across the whole country.",
     "The finance ministry: fuel prices will rise by a tenth at the start"),
])
def test_an_attributed_opening_gives_speaker_and_what_was_said(text, title):
    assert headline(text) == title


def _reference_items():
    """(file, [item texts]) of every episode of the shared segmentation set, cut as its reference says."""
    for path in sorted(SEGMENTATION.glob("[0-9][0-9]-*.json")):
        ref = json.loads(path.read_text(encoding="utf-8"))
        sents, starts = ref["sentences"], ref["starts"] + [len(ref["sentences"])]
        joiner = "" if ref["lang"] == "zh" else " "
        yield path.name, [joiner.join(sents[a:b]) for a, b in zip(starts, starts[1:])][1:-1]


def _episode_titles():
    for path in SEEDS:
        items = [it for it in read_episode(path, "transcript").items if it.kind == "story"]
        yield path.name, [it.title for it in items]
    for name, texts in _reference_items():
        yield name, unique_titles([headline(t) for t in texts], texts)


def test_no_title_ends_on_a_verb_of_saying_and_none_repeats_in_an_episode():
    for name, titles in _episode_titles():
        dangling = [t for t in titles if SAYING_END.search(t.rstrip())]
        assert not dangling, (name, dangling)
        assert len(set(titles)) == len(titles), name
