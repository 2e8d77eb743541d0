"""Spoken transcript: unmarked prose -> intro, news stories, outro.

Sentences are grouped into stories by `segment`; blank lines and `---` lines
are host-forced boundaries. Each story is titled by its subject.
"""

from __future__ import annotations

import re

from studio.ingest import register
from studio.ingest.segment import SentenceInfo, analyse, segment
from studio.ingest.sentences import Sentence, split_sentences
from studio.ingest.source import SourceDoc, episode_fields
from studio.ingest.speech_text import to_speech_text
from studio.ingest.titles import story_title
from studio.model import Episode, Item

_CJK = re.compile(r"[\u4e00-\u9fff]")
_BREAK = re.compile(r"\n[ \t\u3000]*(?:\n|-{3,}[ \t]*(?:\n|$))\s*")
_GREETING = re.compile(r"大家好|各位听众|听众朋友|欢迎收听|欢迎来到|这里是|\b(?:Hello|Hi|Welcome)\b", re.I)
_SHOW_TALK = re.compile(r"^(?:本期|今天|这期|本周|我是|我们将|节目|Today|This week|In this episode|I'm|I am)", re.I)
_SIGN_OFF = re.compile(
    r"就到这里|感谢收听|谢谢收听|感谢您的收听|谢谢大家|下期再见|我们下期见|下周见|下次见|再见|"
    r"Thanks for listening|Thank you for listening|See you next|That's all|That is all",
    re.I,
)
_SHOW_NAME = re.compile(r"这里是\s*([^,，。!！?？]{2,40})")
_MARKUP = re.compile(r"^[ \t]*(?:#{1,6}\s|[-*+]\s|\d+\.\s|>)|\[[^\[\]\n]{1,300}\]\([^()\s]{1,300}\)|^\+\+\+|^\|", re.M)


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

    def read(self, doc: SourceDoc) -> Episode:
        body = doc.body
        sentences, forced = _sentences(body)
        intro, outro = _intro_outro(sentences, forced)
        items: list[Item] = []
        if intro:
            items.append(_item(body, sentences[:intro], "intro"))
        middle = sentences[intro : len(sentences) - outro]
        infos = [analyse(s) for s in middle]
        groups = segment(infos, {i - intro for i in forced if intro <= i < len(sentences) - outro})
        for group in groups:
            items.append(_item(body, [middle[i] for i in group], "story", [infos[i] for i in group]))
        if outro:
            items.append(_item(body, sentences[len(sentences) - outro :], "outro"))
        show = _SHOW_NAME.search(items[0].text) if items and items[0].kind == "intro" else None
        return Episode(items=items, **episode_fields(doc, show.group(1).strip() if show else ""))


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


def _intro_outro(sentences: list[Sentence], forced: set[int]) -> tuple[int, int]:
    """How many leading sentences are the greeting and how many trailing the sign-off."""
    n = len(sentences)
    intro = 0
    if n > 1 and _GREETING.search(sentences[0].text):
        intro = 1
        while intro < n - 1 and intro not in forced and _SHOW_TALK.match(sentences[intro].text):
            intro += 1
    outro = 0
    for i in range(max(intro, n - 3), n):
        if _SIGN_OFF.search(sentences[i].text) and i > intro:
            outro = n - i
            break
    return intro, outro


def _item(body: str, sentences: list[Sentence], kind: str, infos: list[SentenceInfo] | None = None) -> Item:
    text = body[sentences[0].start : sentences[-1].end]
    wide = bool(_CJK.search(text))
    if kind == "intro":
        title = "开场" if wide else "Intro"
    elif kind == "outro":
        title = "结束语" if wide else "Outro"
    else:
        title = story_title(infos or [analyse(s) for s in sentences])
    return Item(title=title, text=text, speech_text=to_speech_text(text), kind=kind)


register(TranscriptReader())
