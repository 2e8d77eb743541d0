"""Web article (copied from a page): title line, boilerplate, numbered sections.

Declared boilerplate: the stats line ("0 评论 2419 浏览…"), author / source /
reprint / disclaimer lines, image credits ("图片来自网络"), and everything from
"题图…" or a "评论" line to the end. Headings "一、…" open sections;
paragraphs before the first one form the intro (the lead). Within a section the
paragraphs are grouped by story with the transcript's segmenter run over
paragraphs, and a group shorter than MIN_CHARS joins its neighbour, so an
article gives a handful of items of a few hundred characters, titled as headlines.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern
from studio.core.model import Episode, Item
from studio.ingest.itemize import make_item
from studio.ingest.segment import Gap, segment
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.titles import headline, unique_titles

_STATS = lazy_pattern(r"^\s*\d+\s*评论\s*\d+\s*浏览")
_NUMBERED = lazy_pattern(r"^\s*([一二三四五六七八九十]{1,3})[、.．]\s*(\S.{0,40}?)\s*$")
_BOILERPLATE = lazy_pattern(
    r"^\s*(?:作者|文|编辑|责编|责任编辑|编译|来源|来源公众号|本文来源|原文|出品|排版)\s*[:：|｜/]"
    r"|^\s*本文由.{0,60}(?:发布|授权)|未经(?:许可|授权).{0,10}转载|^\s*转载请|^\s*(?:图片|配图|封面)(?:来自|来源|源自)"
    r"|^\s*该文观点仅代表作者本人|^\s*更多精彩内容|^\s*(?:点击|扫码)关注"
)
_STOP = lazy_pattern(r"^\s*(?:题图|头图)|^\s*评论\s*$|^\s*(?:相关阅读|推荐阅读|热门评论)\s*$")
_SENTENCE_END = lazy_pattern(r"[。！？!?.…”」]$")
MIN_CHARS = 200  # a story shorter than this joins its neighbour


def _paragraphs(body: str) -> list[str]:
    """Non-empty lines up to the first stop line, without boilerplate."""
    out = []
    for line in body.split("\n"):
        if _STOP.match(line):
            break
        if line.strip() and not _STATS.match(line) and not _BOILERPLATE.search(line):
            out.append(line.strip())
    return out


def _is_title(line: str) -> bool:
    return len(line) <= 60 and not _SENTENCE_END.search(line)


class ArticleReader:
    name = "article"

    def detect(self, doc: SourceDoc) -> float:
        head = doc.body[:3000]
        if re.search(r"^[ \t]*(?:#{1,6}\s|[*-]\s|>)", doc.body[:20000], re.M):
            return 0.0
        score = 0.0
        if any(_STATS.match(line) for line in head.split("\n")[:8]):
            score += 0.6
        numbered = sum(1 for line in doc.body[:50000].split("\n") if _NUMBERED.match(line))
        if numbered >= 2:
            score += 0.25
        if re.search(r"^\s*题图|^\s*作者\s*[:：]|本文由.{0,60}授权", doc.body[-5000:], re.M):
            score += 0.15
        return min(score, 0.85)

    def read(self, doc: SourceDoc) -> Episode:
        title, intro, sections = _structure(doc.body)
        items: list[Item] = []
        for section, paragraphs in sections:
            for group in group_paragraphs(paragraphs)[0]:
                text = "\n\n".join(paragraphs[i] for i in group)
                items.append(make_item(headline(text, literal=True), text, section=section, speak_title=False))
        titles = unique_titles([it.title for it in items], [it.text for it in items])
        for it, t in zip(items, titles):
            it.title = t
        if intro:
            items.insert(0, make_item("导语", "\n\n".join(intro), kind="intro", speak_title=False))
        return Episode(items=items, sections=[name for name, _ in sections], **episode_fields(doc, title))

    def explain(self, doc: SourceDoc) -> list:
        """(paragraph, Gap | None) for every paragraph of every section."""
        out: list = []
        for _section, paragraphs in _structure(doc.body)[2]:
            gaps = group_paragraphs(paragraphs)[1]
            out += list(zip(paragraphs, [None, *gaps]))
        return out


def _structure(body: str) -> tuple[str, list[str], list[tuple[str, list[str]]]]:
    """(title, intro paragraphs, [(section, paragraphs)])."""
    paragraphs = _paragraphs(body)
    title = paragraphs.pop(0) if paragraphs and _is_title(paragraphs[0]) else ""
    intro: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for p in paragraphs:
        m = _NUMBERED.match(p)
        if m and not _SENTENCE_END.search(p):
            sections.append((m.group(2), []))
        elif not sections:
            intro.append(p)
        else:
            sections[-1][1].append(p)
    return title, intro, [(name, ps) for name, ps in sections if ps]


def group_paragraphs(paragraphs: list[str]) -> tuple[list[list[int]], list[Gap]]:
    """Paragraphs grouped by story; a group under MIN_CHARS joins the neighbour it coheres with."""
    groups, gaps = segment(paragraphs)
    size = lambda g: sum(len(paragraphs[i]) for i in g)  # noqa: E731
    while len(groups) > 1 and min(size(g) for g in groups) < MIN_CHARS:
        k = min(range(len(groups)), key=lambda i: size(groups[i]))
        if k == 0:
            join = 1
        elif k == len(groups) - 1:
            join = k
        else:  # join across the weaker of its two boundaries
            join = k if gaps[groups[k][0] - 1].probability <= gaps[groups[k + 1][0] - 1].probability else k + 1
        groups[join - 1:join + 1] = [groups[join - 1] + groups[join]]
    starts = {g[0] for g in groups}
    for gap in gaps:
        gap.starts = gap.index in starts
    return groups, gaps


READER = ArticleReader()
