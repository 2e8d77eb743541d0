"""Evidence that a story starts at a sentence: features of the gap before it.

For the gap between sentence j-1 and j the features measure
- lexical cohesion: do the sentences (and windows of 2, 3 and 8) around the gap share
  content words (jieba words for Chinese)? A dip below the neighbouring gaps is a sign;
- novelty: how many of sentence j's words and names the previous three sentences lacked;
- cue phrases: continuations (此外, 该公司, It, Instead, Currently), story openings
  (an attribution and colon "央行：", a date lead "今天（11月15日）", "记者从…了解到"),
  greetings and sign-offs in many wordings;
- shape: sentence lengths, a short title-like sentence, a switch of script, position.

`studio.ingest.segment` weighs them with a logistic model fitted on real roundups.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from studio.core.lazy import lazy_pattern
from studio.ingest.cohesion import COHESION_COLUMNS, cohesion_columns, grams
from studio.ingest.entities import find_entities
from studio.ingest.words import content_words

_CONT = lazy_pattern(
    r"^(?:此前|此后|随后|之后|然而|不过|但是|但|而且|并且|而|此外|另外|同时|与此同时|其中|对此|目前|此次|此举|还|也|并|"
    r"双方|两家|公司|该公司|集团|官方|该|其|这|那|他们|她们|它们|他|她|它|据了解|据悉|据称|有学者|有专家|因此|所以|同样|另一方面|除此之外|"
    r"具体|例如|比如|包括|尽管|虽然|如果|新版|最后|首先|其次|总之|当然|因为|由于|通过|随着)"
)
_META = lazy_pattern(r"^(?:本文|文章|作者|该文|该项目|项目|这篇|这是一|一款|一个|一篇)")
_EN_CONT = lazy_pattern(
    r"^(?:However|Meanwhile|It|Its|It's|They|Their|Them|He|She|His|Her|This|That|These|Those|Also|But|And|Or|So|"
    r"Then|Thus|Still|Yet|Plus|Instead|Overall|Currently|Additionally|Furthermore|Moreover|Otherwise|Finally|"
    r"Previously|Earlier|Later|Both|Here|There|You|Your|We|Our|I|My|For example|In addition|In short|As a|"
    r"Now|Note|Again|Which|While|Because|If|When|With|Since|Although|Unlike|Instead)\b"
)
# A pronoun or a definite description refers back: the story goes on.
_EN_DEF = lazy_pattern(
    r"^(?:It|Its|It's|They|Their|He|She|His|Her|This|These|That|Those|Such|"
    r"The (?:company|firm|startup|group|team|project|model|plugin|library|tool|release|update|agency|report|study|"
    r"move|deal|change|feature|new|same|former|latter|bill|plan|proposal|court|ministry|government|app|service))\b"
)
# In a roundup a sentence-initial transition usually turns to the next story.
_EN_OPEN = lazy_pattern(
    r"^(?:Meanwhile|Finally|Also|In other news|Elsewhere|Separately|Next|Another|Turning to|Over at|And finally|"
    r"Lastly|In addition|Plus|Additionally|Furthermore|Moreover|On another note|Last but not least)\b"
)
_EN_ADVERB = lazy_pattern(r"^[A-Z][a-z]+ly\b|^[A-Z][a-z]+,\s")
_QUOTE = lazy_pattern(r"^[\"“'‘「『《(（]")
_COLON_LEAD = lazy_pattern(r"^[^，。；：,;:！？!?]{1,16}[：:](?!//)|^From [^,.;:]{1,60}:\s")
_DATE_LEAD = lazy_pattern(
    r"^(?:(?:今天|今日|昨天|昨日|明天|本周[一二三四五六日]?|上周[一二三四五六日]?|当地时间|北京时间|近日|日前|近期|周[一二三四五六日])[，,]?"
    r"|[（(]?(?:\d{4}年)?\d{1,2}月\d{1,2}日[）)]?[，,]?)"
    r"|^(?:On |As of )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Today|Yesterday|This week|Last week|"
    r"January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_REPORTER = lazy_pattern(r"^(?:本报)?(?:记者)?(?:从|自).{1,24}?(?:了解到|获悉|获得)|^据.{1,24}?(?:报道|消息|统计|数据|披露)|^记者")
_GREETING = lazy_pattern(
    r"大家好|早上好|晚上好|下午好|中午好|各位|欢迎|这里是|收听|收看|本期|今天是|"
    r"\b(?:Welcome|Hello|Hi|Hey|Good (?:morning|evening|afternoon)|this is|issue|edition|roundup|digest|newsletter)\b",
    re.I,
)
_SIGN_OFF = lazy_pattern(
    r"再见|见[。！!]?$|下期|下周|下次|明天|就到这|到这里|到这儿|感谢|谢谢|收听|关注|订阅|继续|告一段落|结束|"
    r"\b(?:Thanks|Thank you|See you|next (?:week|time|issue|Monday|month)|until|That's all|That's it|back next|bye|"
    r"signing off|wrap|for now|stay tuned|happy (?:hacking|coding))\b",
    re.I,
)
_FIRST_PERSON = lazy_pattern(r"^(?:我|我们|I\b|We\b)")
_HAN = lazy_pattern(r"[\u4e00-\u9fff]")
_COMMA = lazy_pattern(r"[，,；;：:]")
_QUESTION = lazy_pattern(r"[？?][”\"」』）)]*$")

FEATURES = (
    "bias", "cos1", "cos2", "cos3", "dip2", "fwd", "bridge", "novel", "novel_n", "ent_new", "subj_new",
    "cont", "meta", "en_cont", "en_adverb", "quote", "colon_lead", "date_lead", "reporter", "first_person",
    "len_s", "len_p", "len_q", "short_s", "short_p", "title_s", "title_p", "switch", "question_s", "question_p",
    "greeting_p", "sign_off_s", "sign_off_p", "en_doc",
    "s_back", "cos1_rel", "cos2_rel", "novel_rel", "doc_len", "short_doc_novel",
    "s_long", "en_open", "en_def", "latin", *COHESION_COLUMNS,
)


_FLAGS = (("cont", _CONT), ("meta", _META), ("en_cont", _EN_CONT), ("en_adverb", _EN_ADVERB), ("quote", _QUOTE),
          ("colon_lead", _COLON_LEAD), ("date_lead", _DATE_LEAD), ("reporter", _REPORTER),
          ("first_person", _FIRST_PERSON), ("en_open", _EN_OPEN), ("en_def", _EN_DEF))


@dataclass(slots=True, frozen=True)
class Facts:
    """What the features need from one sentence."""

    text: str
    words: frozenset[str]
    names: frozenset[str]
    subject: str  # the first name when it opens the sentence, else ""
    chars: int
    commas: int
    wide: bool  # mostly CJK
    flags: tuple[float, ...]  # the _FLAGS cue patterns matched at its start
    question: float


@lru_cache(maxsize=65536)
def facts(text: str) -> Facts:
    ents = find_entities(text)
    head = _DATE_LEAD.sub("", text, count=1)
    offset = len(text) - len(head)
    first = next((e for e in ents if e.start >= offset), None)
    subject = first.key if first is not None and first.start - offset <= 12 else ""
    chars = len(text) - sum(map(text.count, " \t\n\u3000"))
    cjk = len(_HAN.findall(text))
    flags = tuple(1.0 if rx.match(text) else 0.0 for _, rx in _FLAGS)
    return Facts(text, content_words(text), frozenset(e.key for e in ents), subject, chars,
                 len(_COMMA.findall(text)), cjk >= 0.3 * max(1, chars), flags,
                 1.0 if _QUESTION.search(text) else 0.0)


def _known(key: str, seen: set[str] | frozenset[str]) -> bool:
    """`key` or a name containing it (or contained in it, two characters or more) is in `seen`."""
    if key in seen:
        return True
    if len(key) >= 2:
        for k in seen:  # a loop, not any(…): this runs for every name of every sentence
            if key in k or (len(k) >= 2 and k in key):
                return True
    return False


def gap_features(fs: list[Facts], en_doc: bool) -> list[list[float]]:
    """One feature vector (in FEATURES order) for each gap j = 1 .. len(fs)-1 (for fitting and explaining)."""
    columns = gap_columns(fs, en_doc)
    return [list(row) for row in zip(*(columns[k] for k in FEATURES))]


def gap_columns(fs: list[Facts], en_doc: bool, needed: Iterable[str] = FEATURES) -> dict[str, list[float]]:
    """Each feature of FEATURES as a column: its value at every gap j = 1 .. len(fs)-1 (index j - 1);
    a feature not `needed` is a column of zeros."""
    columns = dict.fromkeys(FEATURES, [0.0] * max(0, len(fs) - 1))  # one shared list of one shared float
    columns.update(iter_columns(fs, en_doc, needed))
    return columns


def iter_columns(fs: list[Facts], en_doc: bool, needed: Iterable[str] = FEATURES) -> Iterator[tuple[str, list[float]]]:
    """(feature, column) for each `needed` feature: its value at every gap j = 1 .. len(fs)-1 (index j - 1).

    Columns are made a few at a time and the windows they come from are dropped once used, so a
    caller that weighs each column and lets it go never holds them all (a 10 MB transcript).
    """
    n = len(fs)
    if n < 2:
        return
    needed = set(needed)
    chars = sorted(f.chars for f in fs)
    median = max(1, chars[len(chars) // 2])
    del chars
    doc_len = math.log(1 + median / (12 if not en_doc else 40))
    yield from _window_columns(fs, needed, doc_len)
    yield from _shape_columns(fs, needed, median, doc_len, en_doc)
    if "ent_new" in needed or "subj_new" in needed:
        ent_new, subj_new = _name_novelty(fs)
        yield from _pick(needed, {"ent_new": ent_new, "subj_new": subj_new})
        del ent_new, subj_new
    for k, (name, _) in enumerate(_FLAGS):
        if name in needed:
            yield name, [f.flags[k] for f in fs[1:]]
    if "latin" in needed:  # a mostly Latin sentence in a Chinese document: an English headline
        yield "latin", [0.0] * (n - 1) if en_doc else [0.0 if f.wide else 1.0 for f in fs[1:]]
    if not needed.isdisjoint(COHESION_COLUMNS):
        yield from _pick(needed, cohesion_columns([grams(f.text) for f in fs]))


def _pick(needed: set[str], columns: dict[str, list[float]]) -> Iterator[tuple[str, list[float]]]:
    return ((k, v) for k, v in columns.items() if k in needed)


def _window_columns(fs: list[Facts], needed: set[str], doc_len: float) -> Iterator[tuple[str, list[float]]]:
    """Word cohesion and novelty over windows of 1, 2, 3 and 8 sentences around each gap."""
    n, m = len(fs), len(fs) - 1
    words = [f.words for f in fs]
    cos1 = [0.0] + _cosines(words, words[1:])  # cos1[j]: sentences j-1, j
    cos2, cos3, novel, new_words, s_back, s_long = _windows(words, "cos3" in needed, "s_long" in needed)
    cos2 = [0.0] + cos2 + [0.0]
    log = math.log
    a1, a2, a3 = sum(cos1[1:n]) / m, sum(cos2[1:n]) / m, sum(novel) / m  # document-relative: against the mean
    lazy = {
        "cos1": lambda: cos1[1:n], "cos2": lambda: cos2[1:n], "cos3": lambda: cos3, "fwd": lambda: cos1[2:] + [0.0],
        "dip2": lambda: [_dip(cos2, j, n) for j in range(1, n)], "bridge": lambda: _cosines(words, words[2:]) + [0.0],
        "novel": lambda: novel, "novel_n": lambda: [log(1 + w) for w in new_words], "s_back": lambda: s_back,
        "s_long": lambda: s_long, "cos1_rel": lambda: [c - a1 for c in cos1[1:n]],
        "cos2_rel": lambda: [c - a2 for c in cos2[1:n]], "novel_rel": lambda: [v - a3 for v in novel],
        "short_doc_novel": lambda: [v / doc_len for v in novel],
    }
    for name, make in lazy.items():
        if name in needed:
            yield name, make()


def _windows(words: list[frozenset[str]], with_cos3: bool, with_long: bool) -> tuple[list, ...]:
    """Per gap j = 1 .. n-1, in one pass that keeps only the last few window unions (a list of them all
    would be most of the memory on a long transcript):
    cos2: sentences j-2, j-1 against j, j+1; cos3: j-3 .. j-1 against j .. j+2; novel / new words / s_back:
    what sentence j shares with j-3 .. j-1; s_long: its cosine with j-8 .. j-1."""
    n = len(words)
    empty: frozenset[str] = frozenset()
    w = [empty] * 8 + words + [empty] * 3  # w[k + 8] = sentence k (empty outside the document)
    # ring buffers of the last 16 windows: ahead2[k & 15] = words k, k+1; ahead3[k & 15] = words k .. k+2.
    # A window behind gap j is one that was ahead of an earlier gap: behind2(j) = ahead2 of j-2, behind3 of j-3.
    ahead2, ahead3 = [empty] * 16, [empty] * 16
    for k in range(-8, 2):
        ahead2[k & 15] = w[k + 8] | w[k + 9]
    for k in range(-8, 1):
        ahead3[k & 15] = ahead2[k & 15] | w[k + 10]
    cos2, cos3, novel, new_words, s_back, s_long = [], [], [], [], [], []
    sqrt = math.sqrt
    for j in range(1, n):
        ahead2[(j + 1) & 15] = w[j + 9] | w[j + 10]
        a2 = ahead2[j & 15]
        a3 = ahead3[j & 15] = a2 | w[j + 10]
        b2, b3, sw = ahead2[(j - 2) & 15], ahead3[(j - 3) & 15], w[j + 8]
        cos2.append(k / sqrt(len(b2) * len(a2)) if (k := len(b2 & a2)) else 0.0)
        if with_cos3:
            cos3.append(k / sqrt(len(b3) * len(a3)) if (k := len(b3 & a3)) else 0.0)
        size = len(sw)
        shared = len(sw & b3) if size and b3 else 0
        new_words.append(size - shared)
        novel.append((size - shared) / size if size else 0.5)
        s_back.append(shared / sqrt(size * len(b3)) if shared else 0.0)
        if with_long:
            if j < 3:
                s_long.append(s_back[-1])
            else:
                back8 = b3.union(ahead3[(j - 6) & 15], ahead2[(j - 8) & 15])
                s_long.append(k / sqrt(size * len(back8)) if (k := len(sw & back8)) else 0.0)
    return cos2, cos3, novel, new_words, s_back, s_long


def _shape_columns(fs: list[Facts], needed: set[str], median: int, doc_len: float, en_doc: bool
                   ) -> Iterator[tuple[str, list[float]]]:
    """Sentence lengths and shapes around each gap, position cues, document constants."""
    n, m = len(fs), len(fs) - 1
    log = math.log
    # per sentence: relative length, short, title-like (no comma, short); 0/1 as shared constants
    size = [log(1 + f.chars / median) for f in fs] + [0.0]
    short = [1.0 if f.chars < 0.5 * median else 0.0 for f in fs]
    titled = [1.0 if f.commas == 0 and f.chars < 0.7 * median else 0.0 for f in fs]
    question = [f.question for f in fs]
    greeting = [float(bool(_GREETING.search(fs[0].text)))] + [0.0] * (n - 2)  # at gap 1 only
    sign_off_s, sign_off_p = [0.0] * m, [0.0] * m  # at the last two gaps / the last gap only
    for j in range(max(1, n - 2), n):
        sign_off_s[j - 1] = float(bool(_SIGN_OFF.search(fs[j].text)))
    sign_off_p[n - 2] = float(bool(_SIGN_OFF.search(fs[n - 2].text)))
    lazy = {
        "bias": lambda: [1.0] * m, "len_s": lambda: size[1:n], "len_p": lambda: size[: n - 1],
        "len_q": lambda: size[2 : n + 1], "short_s": lambda: short[1:], "short_p": lambda: short[: n - 1],
        "title_s": lambda: titled[1:], "title_p": lambda: titled[: n - 1],
        "switch": lambda: [1.0 if a.wide != b.wide else 0.0 for a, b in zip(fs, fs[1:])],
        "question_s": lambda: question[1:], "question_p": lambda: question[: n - 1], "greeting_p": lambda: greeting,
        "sign_off_s": lambda: sign_off_s, "sign_off_p": lambda: sign_off_p, "en_doc": lambda: [float(en_doc)] * m,
        "doc_len": lambda: [doc_len] * m,
    }
    for name, make in lazy.items():
        if name in needed:
            yield name, make()


def _cosines(xs: Iterable[frozenset[str]], ys: Iterable[frozenset[str]]) -> list[float]:
    """The cosine |a & b| / sqrt(|a| |b|) of each pair of word sets (0 when they share nothing)."""
    sqrt = math.sqrt
    return [k / sqrt(len(a) * len(b)) if (k := len(a & b)) else 0.0 for a, b in zip(xs, ys)]


def _dip(cos2: list[float], j: int, n: int) -> float:
    """How far the cohesion at gap j falls below its neighbours'."""
    if 1 < j < n - 1:
        return (cos2[j - 1] + cos2[j + 1]) / 2 - cos2[j]
    if n > 2:
        return (cos2[j + 1] if j == 1 else cos2[j - 1]) - cos2[j]
    return 0.0


def _name_novelty(fs: list[Facts]) -> tuple[list[float], list[float]]:
    """Per gap: the share of sentence j's names the 3 sentences before lack; whether its subject is new."""
    ent_new, subj_new = [], []
    empty: frozenset[str] = frozenset()
    names = [empty] * 3 + [f.names for f in fs]  # names[j + 2] = fs[j - 1].names
    for j in range(1, len(fs)):
        s = fs[j]
        n3 = names[j + 2].union(names[j + 1], names[j]) if s.names else empty
        if s.names and n3:
            ent_new.append(sum([not _known(k, n3) for k in s.names]) / len(s.names))
            known = bool(s.subject) and _known(s.subject, n3)
        else:
            ent_new.append(1.0 if s.names else 0.0)  # no names before: every name is new
            known = False
        subj_new.append(1.0 if s.subject and not known else 0.0)
    return ent_new, subj_new


def is_greeting(text: str) -> bool:
    return bool(_GREETING.search(text))


def is_sign_off(text: str) -> bool:
    return bool(_SIGN_OFF.search(text))
