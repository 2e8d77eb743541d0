"""Web article (copied from a page): title line, boilerplate, numbered sections.

Declared boilerplate: the stats line ("0 评论 2419 浏览…"), author / source /
reprint / disclaimer lines, image credits ("图片来自网络"), and everything from
"题图…" or a "评论" line to the end. Headings "一、…" open sections whose
paragraphs are items; paragraphs before the first one form the intro.
"""

from __future__ import annotations

import re

from studio.ingest import register
from studio.ingest.itemize import make_item
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.titles import short_title
from studio.model import Episode, Item

_STATS = re.compile(r"^\s*\d+\s*评论\s*\d+\s*浏览")
_NUMBERED = re.compile(r"^\s*([一二三四五六七八九十]{1,3})[、.．]\s*(\S.{0,40}?)\s*$")
_BOILERPLATE = re.compile(
    r"^\s*(?:作者|文|编辑|责编|责任编辑|编译|来源|来源公众号|本文来源|原文|出品|排版)\s*[:：|｜/]"
    r"|^\s*本文由.{0,60}(?:发布|授权)|未经(?:许可|授权).{0,10}转载|^\s*转载请|^\s*(?:图片|配图|封面)(?:来自|来源|源自)"
    r"|^\s*该文观点仅代表作者本人|^\s*更多精彩内容|^\s*(?:点击|扫码)关注"
)
_STOP = re.compile(r"^\s*(?:题图|头图)|^\s*评论\s*$|^\s*(?:相关阅读|推荐阅读|热门评论)\s*$")
_SENTENCE_END = re.compile(r"[。！？!?.…”」]$")


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
        paragraphs = _paragraphs(doc.body)
        title = paragraphs.pop(0) if paragraphs and _is_title(paragraphs[0]) else ""
        items: list[Item] = []
        sections: list[str] = []
        intro: list[str] = []
        section = ""
        for p in paragraphs:
            m = _NUMBERED.match(p)
            if m and not _SENTENCE_END.search(p):
                section = m.group(2)
                sections.append(section)
            elif not section:
                intro.append(p)
            else:
                items.append(make_item(short_title(p), p, section=section, speak_title=False))
        if intro:
            items.insert(0, make_item("导语", "\n\n".join(intro), kind="intro", speak_title=False))
        return Episode(items=items, sections=sections, **episode_fields(doc, title))


register(ArticleReader())
