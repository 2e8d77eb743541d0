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
# (?=[...]) first: the character a match starts with, checked before the look-behind (same matches, faster)
_BETWEEN = re.compile(rf"(?=[ \t,:;?!])(?<=[{_CJK}])[ \t]*([,:;?!])[ \t]*(?=[{_CJK}“‘「『《（])")
_FINAL = re.compile(rf"(?=[.?!])(?<=[{_CJK}])([.?!])(?=[”’」』）]*(?:\s|$))")
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
    text = _BETWEEN.sub(lambda m: _FULL[m.group(1)], text)
    return _FINAL.sub(lambda m: _FULL[m.group(1)], text)
