"""No text is lost: apart from declared boilerplate, all prose reaches some item.

Per seed, the boilerplate is declared here by line number (read from the seeds),
and every remaining sentence must appear, in order, in an item's title + text
(or the episode title / summary). Generated documents check the same property.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.ingest import read_episode

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")


def norm(text: str, digits: bool = True) -> str:
    """Letters, digits and ideographs only: markup, punctuation and spacing don't count."""
    kept = "".join(_KEEP.findall(text)).replace("_", "")
    return kept if digits else re.sub(r"\d", "", kept)


def half_width(text: str) -> str:
    """Display typography (，。：；？！ between CJK) undone, to compare characters."""
    return text.translate(str.maketrans("，。：；？！", ",.:;?!"))


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？!?])", text) if s.strip()]


def assert_prose_kept(episode, prose_lines: list[str], digits: bool = True) -> None:
    targets = [norm(episode.title + episode.summary, digits)]
    targets += [norm(it.section + "\n" + it.title + "\n" + it.text, digits) for it in episode.items]
    at = 0
    for line in prose_lines:
        for sentence in sentences(line):
            want = norm(sentence, digits)
            if not want:
                continue
            found = next((i for i in range(at, len(targets)) if want in targets[i]), None)
            assert found is not None, f"lost: {sentence!r}"
            at = found


def seed_lines(seeds_dir: Path, prefix: str) -> tuple[Path, list[str]]:
    (path,) = seeds_dir.glob(f"{prefix}_*.txt")
    return path, path.read_text(encoding="utf-8").split("\n")


def without(lines: list[str], *ranges: tuple[int, int]) -> list[str]:
    """Lines minus the declared 1-based inclusive ranges."""
    drop = {n for a, b in ranges for n in range(a, b + 1)}
    return [line for n, line in enumerate(lines, 1) if n not in drop]


def test_seed_000_transcript(seeds_dir):
    path, lines = seed_lines(seeds_dir, "000")
    episode = read_episode(path)
    assert_prose_kept(episode, lines)
    assert norm("".join(it.text for it in episode.items)) == norm("".join(lines))


def test_seed_001_article(seeds_dir):
    path, lines = seed_lines(seeds_dir, "001")
    # stats line; image credit; author / source / reprint lines, 题图 and everything after;
    # the numbering of headings ("一、") is layout
    prose = [re.sub(r"^[一二三四五六七八九十]+、", "", line) for line in without(lines, (3, 3), (71, 71), (83, len(lines)))]
    assert_prose_kept(read_episode(path), prose)


def test_seed_002_report(seeds_dir):
    path, lines = seed_lines(seeds_dir, "002")
    captions = [(28, 29), (139, 149), (216, 230), (242, 252), (304, 314)]
    # table of contents; repeated captions; the stray "**" line; the footnote list (-> links)
    prose = without(lines, (5, 10), *captions, (288, 288), (364, len(lines)))
    episode = read_episode(path)
    assert_prose_kept(episode, prose, digits=False)  # footnote markers are digits
    source_digits = sum(len(re.findall(r"\d", norm(line))) for line in prose)
    kept_digits = sum(len(re.findall(r"\d", norm(it.title + it.text))) for it in episode.items)
    cited = 9 + 2 + 2 * 66  # markers 1-9 (1 and 2 cited twice) and 10-75
    assert source_digits - kept_digits == cited


def test_seed_003_hugo(seeds_dir):
    path, lines = seed_lines(seeds_dir, "003")
    # front matter -> metadata; image lines -> item.image
    prose = [line for n, line in enumerate(lines, 1) if n > 10 and not line.startswith("![")]
    assert_prose_kept(read_episode(path), prose)


def test_seed_004_newsletter(seeds_dir):
    path, lines = seed_lines(seeds_dir, "004")
    # image lines -> images; `---` rules; the copyright footer (last line); the lead's "导读：" label
    prose = [line for line in lines[:-1] if not line.startswith("![") and line.strip() != "---"]
    prose[0] = prose[0].replace("> 导读：", "")
    assert_prose_kept(read_episode(path), prose)


# --- generated documents -----------------------------------------------------

CJK = "的人工智能公司发布新模型市场投资研究数据平台技术中国美国大学政府团队产品用户增长"
WORD = st.one_of(
    st.text(alphabet=CJK, min_size=1, max_size=6),
    st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}(\.[0-9])?", fullmatch=True),
)
SENTENCE = st.tuples(st.lists(WORD, min_size=1, max_size=8), st.sampled_from(["。", "！", "？", ".", "!"])).map(
    lambda t: "，".join(t[0]) + t[1]
)
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=6).map("".join)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_text(text: str, fmt: str | None = None, name: str = "doc.txt"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        return read_episode(path, fmt)


@SETTINGS
@given(st.lists(PARAGRAPH, min_size=1, max_size=5), st.booleans(), st.booleans())
def test_generated_transcript_keeps_every_character(paragraphs, greet, sign_off):
    parts = list(paragraphs)
    if greet:
        parts[0] = "大家好,这里是测试节目。" + parts[0]
    if sign_off:
        parts[-1] += "这期节目就到这里,感谢收听。"
    episode = read_text("\n\n".join(parts), "transcript")
    assert half_width("".join(it.text for it in episode.items).replace("\n", "")) == half_width("".join(parts))
    assert "".join(it.speech_text for it in episode.items).replace("\n", "") == "".join(parts)


@SETTINGS
@given(st.lists(st.tuples(WORD, st.lists(PARAGRAPH, min_size=1, max_size=3), st.lists(PARAGRAPH, max_size=3)), min_size=1, max_size=5))
def test_generated_newsletter_keeps_every_item(sections):
    lines, prose = ["> 导读：本期内容。", ""], []
    for n, (name, stories, bullets) in enumerate(sections):
        lines += [f"## 栏目{n}{name}", ""]
        for m, story in enumerate(stories):
            lines += [f"### 标题{m}", "", story, ""]
            prose += [f"标题{m}", story]
        for bullet in bullets:
            lines += [f"* {bullet} [链接](https://example.com/{n})", ""]
            prose.append(bullet)
    lines += ["---", "> Copyright © 2024"]
    episode = read_text("\n".join(lines), None, "n.md")
    assert episode.format == "newsletter"
    assert len(episode.items) == sum(len(s) + len(b) for _, s, b in sections)
    assert_prose_kept(episode, prose)


@SETTINGS
@given(st.lists(st.tuples(WORD, PARAGRAPH), min_size=1, max_size=6))
def test_generated_hugo_post_keeps_every_item(posts):
    lines = ['+++', 'title = "测试"', 'date = "2024-05-26"', "+++", ""]
    for n, (title, body) in enumerate(posts):
        lines += [f"## {title}{n}", "", f"![x](img-{n}.jpg)", "", f"{body}（报道详情：[https://e.com/{n}](https://e.com/{n})）", ""]
    episode = read_text("\n".join(lines), None, "post.md")
    assert episode.format == "hugo"
    assert [it.image for it in episode.items] == [f"img-{n}.jpg" for n in range(len(posts))]
    assert [it.links[0].url for it in episode.items] == [f"https://e.com/{n}" for n in range(len(posts))]
    assert_prose_kept(episode, [part for n, (t, b) in enumerate(posts) for part in (f"{t}{n}", b)])


@SETTINGS
@given(st.lists(PARAGRAPH, min_size=1, max_size=3), st.lists(st.lists(PARAGRAPH, min_size=1, max_size=4), min_size=1, max_size=3))
def test_generated_article_keeps_every_paragraph(lead, sections):
    numerals = "一二三四五六七八九"
    lines = ["测试文章标题", "", "0 评论 12 浏览 1 收藏 3 分钟", ""] + [p for para in lead for p in (para, "")]
    for n, paragraphs in enumerate(sections):
        lines += [f"{numerals[n]}、第{n}部分", ""] + [p for para in paragraphs for p in (para, "")]
    lines += ["作者:某人", "", "题图来自 Unsplash", "评论"]
    episode = read_text("\n".join(lines), "article")
    assert 1 + len(sections) <= len(episode.items) <= 1 + sum(map(len, sections))  # paragraphs grouped by story
    assert_prose_kept(episode, lead + [p for s in sections for p in s])
