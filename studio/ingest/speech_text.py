"""Display text (markdown subset) -> speech text (plain, speakable).

Speech text has no URLs, markdown, HTML, emoji, image references, footnote
numbers or link words ("[链接]", "报道详情："); list bullets become sentences.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern

_IMAGE = lazy_pattern(r"!\[[^\[\]\n]*\]\([^()\n]{0,2000}\)")
_LINK = lazy_pattern(r"\[([^\[\]\n]*)\]\(([^()\s]*)(?:\s+\"[^\"\n]{0,300}\")?\)")
_URL = lazy_pattern(r"(?:https?://|www\.)[^\s）)\]」，。]+")
_HTML = lazy_pattern(r"<[^<>\n]{1,200}>")
# A leading (?=[...]) names every alternative's first character: same matches, found several times faster.
_EMPH = lazy_pattern(r"(?=[*_~`])(?:\*\*|__|~~|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`)")
_EMOJI = lazy_pattern("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0E\uFE0F\u200d\u21A9\u20E3]")
_FOOTNOTE = lazy_pattern(r"\[\^?\d{1,3}\]")
_BULLET = lazy_pattern(r"^\s*(?:[-*+•·]|\d{1,3}[.)、])\s+")
_LINK_WORDS = r"(?:报道详情|详情|链接|原文链接|原文|来源|出处|阅读原文|link|source|read more|more)"
_LINK_WORD = lazy_pattern(rf"^\s*{_LINK_WORDS}\s*$", re.I)
_BARE_LINK_WORD = lazy_pattern(rf"\[{_LINK_WORDS}\]", re.I)
_EMPTY_BRACKETS = lazy_pattern(
    rf"(?=[（(报详链原来出阅lsrm])(?:[（(]\s*(?:{_LINK_WORDS}\s*[:：]?\s*)?[）)]|{_LINK_WORDS}[:：]\s*(?=[）)]|$))", re.I | re.M
)
_RULE = lazy_pattern(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,})[ \t]*$", re.M)
_HEADING = lazy_pattern(r"^[ \t]*#++[ \t]*", re.M)
_QUOTE = lazy_pattern(r"^[ \t]*>[ \t]?", re.M)
# Whether a text may hold markup at all, piece by piece and cheapest first (each piece needs a
# character the text may lack): markup characters, a URL, a rule line, a link word and colon.
_MARKUP_CHAR = lazy_pattern(r"[\[\]<>*_`#~]")
_HTTP = lazy_pattern(r"https?://", re.I)
_RULE_START = lazy_pattern(r"^[ \t]*-{3}", re.M)
_LINK_WORD_COLON = lazy_pattern(rf"(?=[报详链原来出阅lsrm]){_LINK_WORDS}[:：]", re.I)
_SPACES = lazy_pattern(r"[ \t\u3000]+")
_BEFORE_PUNCT = lazy_pattern(r"[ \t]+(?=[，。！？；：、）」』”])")
_END = "。！？!?.;；…"
_CJK = lazy_pattern(r"[\u4e00-\u9fff]")
_WIDE = lazy_pattern(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def _link_label(m: re.Match[str]) -> str:
    label = m.group(1).strip()
    if _LINK_WORD.match(label) or _URL.fullmatch(label) or label == m.group(2):
        return ""
    return label


def to_speech_text(display: str) -> str:
    text = display
    if _maybe_markup(text):  # each step only where the text has what its pattern needs
        if "![" in text:
            text = _IMAGE.sub("", text)
        if "](" in text:
            text = _LINK.sub(_link_label, text)
        if "://" in text or "www." in text:
            text = _URL.sub("", text)
        if "[" in text:
            text = _FOOTNOTE.sub("", _BARE_LINK_WORD.sub("", text))
        if "<" in text:
            text = _HTML.sub("", text)
        if "---" in text or "***" in text or "___" in text:
            text = _RULE.sub("", text)
        text = _EMPTY_BRACKETS.sub("", _EMPH.sub("", text))
        if "#" in text:
            text = _HEADING.sub("", text)
        if ">" in text:
            text = _QUOTE.sub("", text)
    text = _EMOJI.sub("", text)
    return _join_lines(text)


def _maybe_markup(text: str) -> bool:
    return bool(
        _MARKUP_CHAR.search(text)
        or ("://" in text and _HTTP.search(text))
        or ("." in text and "www." in text.lower())  # www\. ignoring case: only W lowers to w
        or ("---" in text and _RULE_START.search(text))
        or ((":" in text or "：" in text) and _LINK_WORD_COLON.search(text))
    )


def _join_lines(text: str) -> str:
    pieces: list[str] = []
    last = ""  # last character written so far
    for raw in text.split("\n"):
        bullet = _BULLET.match(raw)
        line = raw[bullet.end() :] if bullet else raw
        if "\t" in line or "\u3000" in line or "  " in line:  # else every space run is one space already
            line = _SPACES.sub(" ", line)
        line = line.strip()
        if not line:
            continue
        if bullet and line[-1] not in _END:
            line += "。" if _CJK.search(line) else "."
        if last:
            if last not in _END and last not in "：:":
                last = "。" if _CJK.match(last) else "."
                pieces.append(last)
            if not (_WIDE.match(last) or _WIDE.match(line)):
                pieces.append(" ")
        pieces.append(line)
        last = line[-1]
    joined = "".join(pieces)
    return (_BEFORE_PUNCT.sub("", joined) if " " in joined or "\t" in joined else joined).strip()
