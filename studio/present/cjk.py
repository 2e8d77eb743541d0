"""Chinese typography for what readers see: full-width punctuation next to Latin words, CJK fonts first.

The ingest already makes punctuation between two Chinese characters full-width
(studio.ingest.typography); a comma between a Latin word and a Chinese character
("A16Z,也就是", "支持的ChatGPT,它") is left half-width there. Inside a Chinese sentence
it should be full-width too: "A16Z，也就是". Only , ; : ? ! change, only with a Chinese
character on one side and a letter or digit (or a Chinese character) on the other;
numbers (1,000), times (08:51), URLs and Latin-only text are left alone.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern
from studio.ingest.typography import display_text

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
# a Latin word or number, the mark, a Chinese character; or a Chinese character, the mark, a Latin word
_LATIN_THEN_CJK = lazy_pattern(rf"(?<=[A-Za-z0-9\u00c0-\u024f)%])[ \t]*([,;:?!])[ \t]*(?=[{_CJK}“‘（《])")
_CJK_THEN_LATIN = lazy_pattern(rf"(?<=[{_CJK}”’）》])[ \t]*([,;:?!])[ \t]*(?=[A-Za-z0-9\u00c0-\u024f“‘(])")
_URL = lazy_pattern(r"(?:https?://|www\.)\S+")

# Font stacks: the script's own faces first, so CJK punctuation and curly quotes are drawn full-width
# by a CJK face (a Latin face first draws “” narrow); every stack ends in sans-serif.
LATIN_FACES = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial"
CJK_FACES = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC'"


def fonts_for(chinese: bool) -> str:
    first, then = (CJK_FACES, LATIN_FACES) if chinese else (LATIN_FACES, CJK_FACES)
    return f"{first},{then},sans-serif"


def punctuate(text: str) -> str:
    """Half-width , ; : ? ! next to a Chinese character made full-width (URLs untouched): between two
    Chinese characters as the ingest does it (texts that did not go through it: transcript cues), and
    between a Latin word and a Chinese character."""
    if not text or not re.search(rf"[{_CJK}]", text) or not re.search(r"[,;:?!.]", text):
        return text
    text = display_text(text)
    out, pos = [], 0
    for m in _URL.finditer(text):
        out.append(_fix(text[pos:m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(_fix(text[pos:]))
    return "".join(out)


def _fix(text: str) -> str:
    text = _LATIN_THEN_CJK.sub(lambda m: _FULL[m.group(1)], text)
    return _CJK_THEN_LATIN.sub(lambda m: _FULL[m.group(1)], text)
