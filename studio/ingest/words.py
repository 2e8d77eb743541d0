"""Content words of a sentence: jieba for Chinese, lower-cased words for Latin text.

Used for lexical cohesion (do neighbouring sentences share words?) and for
cutting titles at word boundaries. jieba is imported on first use, its dictionary
loaded as the texts need it (studio.ingest.jieba_dict), and results are memoised per text.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from studio.core.lazy import lazy_pattern
from studio.ingest.entities import STOP_LATIN
from studio.ingest.jieba_dict import LazyDictionary, import_jieba

_CJK = lazy_pattern(r"[\u4e00-\u9fff]")
_LATIN = lazy_pattern(r"[A-Za-z][A-Za-z0-9]*(?:[.'’+#-][A-Za-z0-9]+)*")
_ZH_STOP = set(
    """我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 这里 那里 这样 那样 什么 怎么 如何 为什么 以及 并且 而且
    但是 不过 然而 因为 所以 如果 虽然 可以 可能 已经 正在 进行 通过 对于 关于 其中 之一 一个 一些 一种 没有 不是
    就是 还是 或者 以上 以下 同时 此外 另外 目前 今天 今年 明天 昨天 表示 认为 指出 提供 支持 使用 用户 大家
    成为 需要 能够 开始 包括 相关 方面 问题 工作 情况 主要 以及 全新 新的 更多 非常 还有 也是 这是 这一 该 本 将""".split()
)
_EN_STOP = STOP_LATIN | set(
    """is are was were be been being has have had do does did will would can could should may might must
    just now new also very more most than then them your yours my me us one two out up down what via using use
    used get gets make makes made like well way ways into onto only even still much such each every other own
    same so too any both few lot lots need needs want wants there's it's that's let lets see look via etc
    am were being been doing done s t don doesn didn isn aren wasn won can't""".split()
)
EN_STOP = _EN_STOP


def is_wide(text: str) -> bool:
    return bool(_CJK.search(text))


@lru_cache(maxsize=1)
def _jieba():
    jieba = import_jieba()
    jieba.setLogLevel(logging.WARNING)
    return jieba, LazyDictionary(jieba)


@lru_cache(maxsize=65536)
def cut(text: str) -> tuple[str, ...]:
    """All tokens of `text` in order (jieba for text with Chinese, whitespace/punctuation otherwise)."""
    if _CJK.search(text):
        jieba, dictionary = _jieba()
        dictionary.need(text)
        return tuple(t for t in jieba.cut(text) if t.strip())
    return tuple(re.findall(r"\w+(?:[.'’+#-]\w+)*|[^\w\s]", text))


@lru_cache(maxsize=65536)
def content_words(text: str) -> frozenset[str]:
    """The sentence's content words: no stop words, punctuation or bare numbers."""
    out = set()
    for tok in cut(text):
        if _CJK.search(tok):
            if len(tok) >= 2 and tok not in _ZH_STOP:
                out.add(tok)
        elif _LATIN.fullmatch(tok):
            low = tok.lower()
            if len(low) >= 2 and low not in _EN_STOP:
                out.add(low[:-1] if len(low) > 4 and low.endswith("s") and not low.endswith("ss") else low)
    return frozenset(out)
