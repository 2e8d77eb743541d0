"""Terminal column width of text (CJK and full-width characters count 2)."""

from __future__ import annotations

import re
from bisect import bisect_left

from studio.core.lazy import lazy_pattern

# East Asian Wide / Fullwidth ranges (Hangul, CJK, kana, full-width forms, ideograph extensions).
_WIDE = lazy_pattern(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U0001f300-\U0001f64f\U0001f900-\U0001f9ff"
    "\U00020000-\U0003fffd]"
)


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text))


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` columns, with "…" when cut; Latin words are not cut in half."""
    if 2 * len(text) <= limit or width(text) <= limit:
        return text
    cut = _fit(text, limit - 1)
    head = text[:cut]
    if cut < len(text) and text[cut].isascii() and text[cut].isalnum():
        word = re.search(r"[A-Za-z0-9.\-]+$", head)
        if word and word.start() > 0:
            head = head[: word.start()]
    return head.rstrip() + "…"


def _fit(text: str, columns: int) -> int:
    """The most characters of `text` whose width is at most `columns` (binary search on the width)."""
    wide = [m.start() for m in _WIDE.finditer(text, 0, columns)]  # a prefix that fits has < `columns` characters
    lo, hi = 0, min(len(text), columns)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid + bisect_left(wide, mid) <= columns:  # the width of text[:mid]
            lo = mid
        else:
            hi = mid - 1
    return lo
