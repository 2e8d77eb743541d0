"""Spoken transcript: unmarked prose -> intro, news stories, outro.

Sentences are grouped into stories by `segment`; blank lines and `---` lines
are host-forced boundaries. Each story is titled by its subject.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern
from studio.core.model import Episode, Item
from studio.ingest import assist
from studio.ingest.assist.propose import AssistError, propose
from studio.ingest.boundary import is_greeting, is_sign_off
from studio.ingest.segment import segment
from studio.ingest.sentences import Sentence, split_sentences
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.speech_text import to_speech_text
from studio.ingest.titles import headline, unique_titles
from studio.ingest.typography import display_text

_CJK = lazy_pattern(r"[\u4e00-\u9fff]")
_BREAK = lazy_pattern(r"\n[ \t\u3000]*(?:\n|-{3,}[ \t]*(?:\n|$))\s*")
_GREETING = lazy_pattern(r"大家好|各位听众|听众朋友|欢迎收听|欢迎来到|这里是|\b(?:Hello|Hi|Welcome)\b", re.I)
_SIGN_OFF = lazy_pattern(
    r"就到这里|感谢收听|谢谢收听|感谢您的收听|谢谢大家|下期再见|我们下期见|下周见|下次见|再见|"
    r"Thanks for listening|Thank you for listening|See you next|That's all|That is all",
    re.I,
)
_SHOW_NAME = lazy_pattern(r"这里是\s*([^,，。!！?？]{2,40})")
_MARKUP = lazy_pattern(r"^[ \t]*(?:#{1,6}\s|[-*+]\s|\d+\.\s|>)|\[[^\[\]\n]{1,300}\]\([^()\s]{1,300}\)|^\+\+\+|^\|", re.M)


class TranscriptReader:
    name = "transcript"

    def detect(self, doc: SourceDoc) -> float:
        sample = doc.body[:20000]
        if _MARKUP.search(sample):
            return 0.0
        paragraphs = [p for p in _BREAK.split(sample.strip()) if p.strip()]
        longest = max((len(p) for p in paragraphs), default=0)
        spoken = bool(_GREETING.search(sample[:300]) or _SIGN_OFF.search(doc.body[-300:]))
        if longest >= 400 and len(split_sentences(max(paragraphs, key=len))) >= 5:
            return 0.7 if spoken else 0.5
        return 0.3 if spoken else 0.0

    def explain(self, doc: SourceDoc) -> list:
        """(sentence text, Gap | None) for every sentence: why it does or does not start an item."""
        out: list = []
        transcript_items(doc.body, explain=out)
        return [(s.text, gap) for s, gap in out]

    def read(self, doc: SourceDoc) -> Episode:
        items = transcript_items(doc.body)
        show = _SHOW_NAME.search(items[0].text) if items and items[0].kind == "intro" else None
        return Episode(items=items, **episode_fields(doc, show.group(1).strip() if show else ""))


def transcript_items(body: str, models=None, explain: list | None = None) -> list[Item]:
    """The items of a transcript body. `explain`: filled with (sentence, Gap | None) pairs."""
    sentences, forced = _sentences(body)
    texts = [s.text for s in sentences]
    if len(texts) > 2 and _SIGN_OFF.search(texts[-1]):  # a closing "感谢收听" / "Thanks for listening" is the outro
        forced.add(len(texts) - 1)
    proposal = _assisted(texts, forced) if models is None and explain is None else None
    if proposal is not None:
        groups, given = proposal
    else:
        groups, gaps = segment(texts, forced, models, evidence=explain is not None)
        given = [None] * len(groups)
        if explain is not None:
            explain.extend(zip(sentences, [None, *gaps]))
    kinds = _kinds(groups, sentences)
    items = [_item(body, [sentences[i] for i in g], kind) for g, kind in zip(groups, kinds)]
    for it, title in zip(items, given):
        if title and it.kind == "story":
            it.title = display_text(title)
    titles = unique_titles([it.title for it in items], [it.text for it in items])
    for it, title in zip(items, titles):
        it.title = title
    return items


def _assisted(texts: list[str], forced: set[int]) -> tuple[list[list[int]], list[str | None]] | None:
    """The assist model's groups and titles (split again at the host's own breaks), or None."""
    ctx = assist.current()
    if ctx is None or not texts:
        return None
    try:
        proposal = propose(ctx.config, texts, ctx.cache_dir)
    except AssistError as e:
        ctx.warn(f"assist: {e}; using the built-in segmenter")
        return None
    groups: list[list[int]] = []
    titles: list[str | None] = []
    for group, title in zip(proposal.groups, proposal.titles):
        for i in group:
            if not groups or i == group[0] or i in forced:
                groups.append([i])
                titles.append(title if i == group[0] else None)  # a host break: the piece gets a headline
            else:
                groups[-1].append(i)
    return groups, titles


def _kinds(groups: list[list[int]], sentences: list[Sentence]) -> list[str]:
    """The first item is the intro when it greets, the last the outro when it signs off."""
    kinds = ["story"] * len(groups)
    if len(groups) > 1 and len(groups[0]) <= 3 and is_greeting(sentences[0].text):
        kinds[0] = "intro"
    if len(groups) > 1 and len(groups[-1]) <= 2 and is_sign_off(sentences[groups[-1][0]].text):
        kinds[-1] = "outro"
    return kinds


def _sentences(body: str) -> tuple[list[Sentence], set[int]]:
    """All sentences, and the indexes that start a host paragraph."""
    sentences: list[Sentence] = []
    forced: set[int] = set()
    start = 0
    for m in [*_BREAK.finditer(body), None]:
        end = m.start() if m else len(body)
        if body[start:end].strip():
            forced.add(len(sentences))
            sentences.extend(split_sentences(body[start:end], start))
        start = m.end() if m else len(body)
    return sentences, forced


def _item(body: str, sentences: list[Sentence], kind: str) -> Item:
    text = body[sentences[0].start : sentences[-1].end]
    if kind == "intro":
        title = "开场" if _CJK.search(text) else "Intro"
    elif kind == "outro":
        title = "结束语" if _CJK.search(text) else "Outro"
    else:
        title = headline(text)
    return Item(title=display_text(title), text=display_text(text), speech_text=to_speech_text(text), kind=kind)


READER = TranscriptReader()
