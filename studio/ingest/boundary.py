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
from itertools import chain
from typing import Iterable

from studio.ingest.cohesion import COHESION_COLUMNS, cohesion_columns, grams
from studio.ingest.entities import find_entities
from studio.ingest.words import content_words

_CONT = re.compile(
    r"^(?:此前|此后|随后|之后|然而|不过|但是|但|而且|并且|而|此外|另外|同时|与此同时|其中|对此|目前|此次|此举|还|也|并|"
    r"双方|两家|公司|该公司|集团|官方|该|其|这|那|他们|她们|它们|他|她|它|据了解|据悉|据称|有学者|有专家|因此|所以|同样|另一方面|除此之外|"
    r"具体|例如|比如|包括|尽管|虽然|如果|新版|最后|首先|其次|总之|当然|因为|由于|通过|随着)"
)
_META = re.compile(r"^(?:本文|文章|作者|该文|该项目|项目|这篇|这是一|一款|一个|一篇)")
_EN_CONT = re.compile(
    r"^(?:However|Meanwhile|It|Its|It's|They|Their|Them|He|She|His|Her|This|That|These|Those|Also|But|And|Or|So|"
    r"Then|Thus|Still|Yet|Plus|Instead|Overall|Currently|Additionally|Furthermore|Moreover|Otherwise|Finally|"
    r"Previously|Earlier|Later|Both|Here|There|You|Your|We|Our|I|My|For example|In addition|In short|As a|"
    r"Now|Note|Again|Which|While|Because|If|When|With|Since|Although|Unlike|Instead)\b"
)
# A pronoun or a definite description refers back: the story goes on.
_EN_DEF = re.compile(
    r"^(?:It|Its|It's|They|Their|He|She|His|Her|This|These|That|Those|Such|"
    r"The (?:company|firm|startup|group|team|project|model|plugin|library|tool|release|update|agency|report|study|"
    r"move|deal|change|feature|new|same|former|latter|bill|plan|proposal|court|ministry|government|app|service))\b"
)
# In a roundup a sentence-initial transition usually turns to the next story.
_EN_OPEN = re.compile(
    r"^(?:Meanwhile|Finally|Also|In other news|Elsewhere|Separately|Next|Another|Turning to|Over at|And finally|"
    r"Lastly|In addition|Plus|Additionally|Furthermore|Moreover|On another note|Last but not least)\b"
)
_EN_ADVERB = re.compile(r"^[A-Z][a-z]+ly\b|^[A-Z][a-z]+,\s")
_QUOTE = re.compile(r"^[\"“'‘「『《(（]")
_COLON_LEAD = re.compile(r"^[^，。；：,;:！？!?]{1,16}[：:](?!//)|^From [^,.;:]{1,60}:\s")
_DATE_LEAD = re.compile(
    r"^(?:(?:今天|今日|昨天|昨日|明天|本周[一二三四五六日]?|上周[一二三四五六日]?|当地时间|北京时间|近日|日前|近期|周[一二三四五六日])[，,]?"
    r"|[（(]?(?:\d{4}年)?\d{1,2}月\d{1,2}日[）)]?[，,]?)"
    r"|^(?:On |As of )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Today|Yesterday|This week|Last week|"
    r"January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_REPORTER = re.compile(r"^(?:本报)?(?:记者)?(?:从|自).{1,24}?(?:了解到|获悉|获得)|^据.{1,24}?(?:报道|消息|统计|数据|披露)|^记者")
_GREETING = re.compile(
    r"大家好|早上好|晚上好|下午好|中午好|各位|欢迎|这里是|收听|收看|本期|今天是|"
    r"\b(?:Welcome|Hello|Hi|Hey|Good (?:morning|evening|afternoon)|this is|issue|edition|roundup|digest|newsletter)\b",
    re.I,
)
_SIGN_OFF = re.compile(
    r"再见|见[。！!]?$|下期|下周|下次|明天|就到这|到这里|到这儿|感谢|谢谢|收听|关注|订阅|继续|告一段落|结束|"
    r"\b(?:Thanks|Thank you|See you|next (?:week|time|issue|Monday|month)|until|That's all|That's it|back next|bye|"
    r"signing off|wrap|for now|stay tuned|happy (?:hacking|coding))\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"^(?:我|我们|I\b|We\b)")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_COMMA = re.compile(r"[，,；;：:]")
_QUESTION = re.compile(r"[？?][”\"」』）)]*$")

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
    """Each feature of FEATURES as a column: its value at every gap j = 1 .. len(fs)-1 (index j - 1).

    Built from shifted per-sentence lists; a model weighs whole columns, so no per-gap row is held.
    The cohesion columns (studio.ingest.cohesion) are built only when `needed` names one of them.
    """
    n = len(fs)
    if n < 2:
        return {k: [] for k in FEATURES}
    chars = sorted(f.chars for f in fs)
    median = max(1, chars[len(chars) // 2])
    # w2[j] / w3[j]: the words of the 2 / 3 sentences before j (forward windows are w[j + k]);
    # the last 8 sentences' words and the last 3 sentences' names are built only where needed
    empty: frozenset[str] = frozenset()
    words = [f.words for f in fs] + [empty] * 5
    w1 = [empty] + words  # w1[j] = words[j - 1]
    w2 = [empty] + [a | b for a, b in zip(w1[1:], w1)]  # w2[j] = w1[j] | w1[j - 1]
    w3 = w2[:2] + [a | b for a, b in zip(w2[2:], w1)]  # w3[j] = w2[j] | w1[j - 2]
    cos1 = [0.0] + _cosines(words, words[1 : n + 1])  # cos1[j]: sentences j-1, j
    cos2 = [0.0] + _cosines(w2[1:n], w2[3 : n + 2]) + [0.0]
    log = math.log
    # per sentence: relative length, short, title-like (no comma, short)
    size = [log(1 + f.chars / median) for f in fs] + [0.0]
    short = [1.0 if f.chars < 0.5 * median else 0.0 for f in fs]  # shared constants: no float per value
    titled = [1.0 if f.commas == 0 and f.chars < 0.7 * median else 0.0 for f in fs]
    question = [f.question for f in fs]
    # per gap j = 1 .. n-1 (list index j - 1)
    sws, backs = words[1:n], w3[1:n]
    lens = [len(w) for w in sws]
    shared = [len(sw & back) if sw and back else 0 for sw, back in zip(sws, backs)]
    new_words = [k - s if k else 0 for k, s in zip(lens, shared)]
    novel = [w / k if k else 0.5 for w, k in zip(new_words, lens)]
    s_back = [s / math.sqrt(k * len(back)) if s else 0.0 for s, k, back in zip(shared, lens, backs)]
    # the words of up to 8 sentences before j, one union at a time (a list of them all would be big)
    back8 = chain((w3[j] | w3[j - 3] for j in range(3, min(n, 6))),
                  (a.union(b, c) for a, b, c in zip(w3[6:n], w3[3:n], w2[:n])))  # one copy, not two
    s_long = s_back[:2] + _cosines(words[3:n], back8)
    cos3, bridge = _cosines(backs, w3[4 : n + 3]), _cosines(words, words[2 : n + 1])
    del w1, w2, w3, backs, back8  # the windows are done with: their memory serves the rows
    ent_new, subj_new = _name_novelty(fs)
    switch = [1.0 if a.wide != b.wide else 0.0 for a, b in zip(fs, fs[1:])]
    greeting = [float(bool(_GREETING.search(fs[0].text)))] + [0.0] * (n - 2)  # at gap 1 only
    sign_off_s, sign_off_p = [0.0] * (n - 1), [0.0] * (n - 1)  # at the last two gaps / the last gap only
    for j in range(max(1, n - 2), n):
        sign_off_s[j - 1] = float(bool(_SIGN_OFF.search(fs[j].text)))
    sign_off_p[n - 2] = float(bool(_SIGN_OFF.search(fs[n - 2].text)))
    doc_len = log(1 + median / (12 if not en_doc else 40))
    # document-relative: each gap against the document's mean (summed in gap order)
    a1, a2, a3 = sum(cos1[1:n]) / (n - 1), sum(cos2[1:n]) / (n - 1), sum(novel) / (n - 1)
    m = n - 1
    columns = {
        "bias": [1.0] * m, "cos1": cos1[1:n], "cos2": cos2[1:n], "cos3": cos3,
        "dip2": [_dip(cos2, j, n) for j in range(1, n)], "fwd": cos1[2 : n + 1], "bridge": bridge,
        "novel": novel, "novel_n": [log(1 + w) for w in new_words], "ent_new": ent_new, "subj_new": subj_new,
        "len_s": size[1:n], "len_p": size[: n - 1], "len_q": size[2 : n + 1], "short_s": short[1:],
        "short_p": short[: n - 1], "title_s": titled[1:], "title_p": titled[: n - 1], "switch": switch,
        "question_s": question[1:], "question_p": question[: n - 1], "greeting_p": greeting,
        "sign_off_s": sign_off_s, "sign_off_p": sign_off_p, "en_doc": [float(en_doc)] * m, "s_back": s_back,
        "cos1_rel": [c - a1 for c in cos1[1:n]], "cos2_rel": [c - a2 for c in cos2[1:n]],
        "novel_rel": [v - a3 for v in novel], "doc_len": [doc_len] * m,
        "short_doc_novel": [v / doc_len for v in novel], "s_long": s_long,
        # a mostly Latin sentence in a Chinese document: an English headline
        "latin": [0.0] * m if en_doc else [0.0 if f.wide else 1.0 for f in fs[1:]],
    }
    for k, (name, _) in enumerate(_FLAGS):
        columns[name] = [f.flags[k] for f in fs[1:]]
    if not set(COHESION_COLUMNS).isdisjoint(needed):
        columns.update(cohesion_columns([grams(f.text) for f in fs]))
    else:
        columns.update({k: [0.0] * m for k in COHESION_COLUMNS})  # one shared float: no memory per value
    return columns


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
