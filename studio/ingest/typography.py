"""Display typography: half-width punctuation between CJK characters becomes full-width.

"大家好,这里是" -> "大家好，这里是". Only , : ; ? ! (and a sentence-final .) right
after a CJK character and before another CJK character (or the end of a sentence)
change; numbers (3.5, 1,000), URLs and Latin text are left alone. Speech text
is made from the original and never sees this.
"""

from __future__ import annotations

import re
from functools import cache

from studio.core.lazy import lazy_pattern

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", ".": "。"}
_QUOTES_OPEN = "“‘「『《（"
_CLOSERS = "”’」』）"
_ANY = lazy_pattern(rf"[{_CJK}][ \t]*[,:;?!.]")
_URL = lazy_pattern(r"https?://\S+|\]\([^)\s]*\)")


def display_text(text: str) -> str:
    if not _ANY.search(text):
        return text
    parts, pos = [], 0
    for m in _URL.finditer(text):  # links stay exactly as written
        parts.append(_fix(text[pos : m.start()]))
        parts.append(m.group())
        pos = m.end()
    parts.append(_fix(text[pos:]))
    return "".join(parts)


def _fix(text: str) -> str:
    for marks, pattern in ((",:;?!", _between), (".?!", _final)):  # marks between characters first, then ends
        for mark in marks:
            if mark in text:
                text = pattern(mark).sub(_FULL[mark], text)
    return text


# One pattern per mark, each with a constant replacement (no Python call per match), compiled on
# first use (a CJK class takes milliseconds to compile); a (?=…) first checks the character a match
# starts with before the look-behind. A replaced mark is as foreign to the CJK and quote classes as
# the original, so applying them one after another changes the same places as one combined pattern.
@cache
def _between(mark: str) -> re.Pattern[str]:
    m = re.escape(mark)
    return re.compile(rf"(?=[ \t{m}])(?<=[{_CJK}])[ \t]*{m}[ \t]*(?=[{_CJK}{_QUOTES_OPEN}])")


@cache
def _final(mark: str) -> re.Pattern[str]:
    m = re.escape(mark)
    return re.compile(rf"(?={m})(?<=[{_CJK}]){m}(?=[{_CLOSERS}]*(?:\s|$))")
