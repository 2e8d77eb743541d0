"""Shared-vocabulary cohesion that does not depend on a word segmenter.

A sentence is reduced to a set of "grams": the character bigrams of its Chinese
runs and the five-letter stems of its Latin words (stop words dropped). Two
sentences of one story share grams even where jieba cuts their words
differently ("英伟达市值" / "英伟达的市值") or an English word changes its ending
("release" / "released"). On the labelled roundups, adjacent sentences of one
story are told from a story change better by these sets than by whole words
(AUC 0.78 vs 0.74 in Chinese, 0.76 vs 0.69 in English).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from studio.core.lazy import lazy_pattern
from studio.ingest.words import EN_STOP

_CJK_RUN = lazy_pattern(r"[\u4e00-\u9fff]+")
_LATIN = lazy_pattern(r"[A-Za-z][A-Za-z0-9]*(?:[.'’+#-][A-Za-z0-9]+)*|\d+(?:\.\d+)+")
_STOP_BIGRAMS = frozenset(
    """我们 他们 这个 一个 可以 进行 通过 以及 已经 其中 同时 此外 目前 表示 认为 提供 支持 使用 包括 相关
    主要 这些 并且 对于 没有 不是 就是 还是 或者 一些 如何 什么 能够 需要 成为 这一 该项 项目""".split()
)
STEM = 5


@lru_cache(maxsize=65536)
def grams(text: str) -> frozenset[str]:
    out: set[str] = set()
    for run in _CJK_RUN.findall(text):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    out -= _STOP_BIGRAMS
    for word in _LATIN.findall(text):
        low = word.lower()
        if len(low) >= 2 and low not in EN_STOP:
            out.add(low if low[0].isdigit() else low[:STEM])
    return frozenset(out)


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / sqrt(|a| |b|), 0 when either is empty."""
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


COHESION_COLUMNS = ("g1", "gmax3", "gwin", "gfwd", "gprev", "gwin_dip", "g_empty")


def cohesion_columns(gs: list[frozenset[str]]) -> dict[str, list[float]]:
    """Per gap j = 1 .. n-1 (list index j - 1):
    g1: sentences j-1 and j; gmax3: j and the closest of j-3 .. j-1; gwin: the pairs j-2, j-1 and j, j+1;
    gfwd: j and j+1 (j opens something the next sentence goes on with); gprev: j-2 and j-1;
    gwin_dip: how far gwin falls below its neighbours; g_empty: sentence j has no grams."""
    n = len(gs)
    if n < 2:
        return {k: [] for k in COHESION_COLUMNS}
    empty: frozenset[str] = frozenset()
    padded = [empty, empty] + gs + [empty]  # padded[j + 2] = gs[j]
    one = [cosine(a, b) for a, b in zip(gs, gs[1:])]  # one[j - 1]: j-1, j
    g1 = one
    fwd = one[1:] + [0.0]
    prev = [0.0] + one[:-1]
    back2 = [0.0, *(cosine(a, b) for a, b in zip(gs, gs[2:]))]  # j-2, j
    back3 = [0.0, 0.0, *(cosine(a, b) for a, b in zip(gs, gs[3:]))]  # j-3, j
    gmax3 = [max(a, b, c) for a, b, c in zip(g1, back2, back3)]
    # (j-2, j-1) vs (j, j+1): the unions made one gap at a time (a list of them all would be big)
    gwin = [cosine(a | b, c | d) for a, b, c, d in zip(padded[1:n], padded[2 : n + 1], padded[3:], padded[4:])]
    left = [gwin[0], *gwin[:-1]]
    right = [*gwin[1:], gwin[-1]]
    dip = [(a + c) / 2 - b for a, b, c in zip(left, gwin, right)]
    return {"g1": g1, "gmax3": gmax3, "gwin": gwin, "gfwd": fwd, "gprev": prev, "gwin_dip": dip,
            "g_empty": [0.0 if g else 1.0 for g in gs[1:]]}
