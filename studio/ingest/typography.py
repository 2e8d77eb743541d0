"""Display typography: half-width punctuation between CJK characters becomes full-width.

"大家好,这里是" -> "大家好，这里是". Only , : ; ? ! (and a sentence-final .) right
after a CJK character and before another CJK character (or the end of a sentence)
change; numbers (3.5, 1,000), URLs and Latin text are left alone. Speech text
is made from the original and never sees this.
"""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", ".": "。"}
# One pattern per mark, each with a constant replacement (no Python call per match); a (?=…) first
# checks the character a match starts with before the look-behind. A replaced mark is as foreign to
# the CJK and quote classes as the original, so applying them one after another changes the same places.
_BETWEEN = tuple(
    (mark, re.compile(rf"(?=[ \t{re.escape(mark)}])(?<=[{_CJK}])[ \t]*{re.escape(mark)}[ \t]*(?=[{_CJK}“‘「『《（])"),
     _FULL[mark])
    for mark in ",:;?!"
)
_FINAL = tuple(
    (mark, re.compile(rf"(?={re.escape(mark)})(?<=[{_CJK}]){re.escape(mark)}(?=[”’」』）]*(?:\s|$))"), _FULL[mark])
    for mark in ".?!"
)
_ANY = re.compile(rf"[{_CJK}][ \t]*[,:;?!.]")
_URL = re.compile(r"https?://\S+|\]\([^)\s]*\)")


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
    for patterns in (_BETWEEN, _FINAL):  # all marks between characters first, then sentence ends
        for mark, pattern, full in patterns:
            if mark in text:
                text = pattern.sub(full, text)
    return text
