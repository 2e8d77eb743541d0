"""Headlines for items that have none: subject and what happened, in the item's own words.

A headline is taken from the item's opening sentence: date leads ("今天（11月15日），"),
attributions ("据…报道，", "记者从…了解到，", "From X:") and descriptors before a
name ("AI服务初创公司Runway" -> "Runway") are dropped, then the sentence is cut at
a clause boundary, or else at a word boundary (jieba words for Chinese), to at most
24 CJK characters (48 columns) or 70 Latin characters. A cut never falls inside
quotes or brackets, and never leaves a dangling function word. `unique_titles`
makes the titles of one episode distinct.
"""

from __future__ import annotations

import re
from functools import lru_cache

from studio.core.lazy import lazy_pattern
from studio.ingest.phrases import (
    EN_OPENERS,
    ZH_OPENERS,
    compress,
    drop_modifiers,
    drop_scene,
    ends_badly,
    has_verb,
    object_heads,
    phrase_ends,
    subject,
    subject_heads,
)
from studio.ingest.textwidth import width
from studio.ingest.words import cut, is_wide

WIDE_LIMIT = 48  # columns: 24 CJK characters
LATIN_LIMIT = 70  # characters
_MIN_WIDE = 12  # columns: a headline shorter than 6 CJK characters says too little
_MIN_LATIN = 18

_MARKUP = lazy_pattern(r"(?=[!\[*_`#>])(?:!\[[^\[\]\n]*\]\([^()\n]*\)|\[([^\[\]\n]*)\]\([^()\n]*\)|[*_`#>]+)")  # (?=…): fast scan
_BULLET = lazy_pattern(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_SENTENCE = lazy_pattern(r"(?<=[。！？!?])[”’\"」』）)]*|(?<=\.)\s+(?=[A-Z\"“'(])|\n")
_LEAD = lazy_pattern(
    r"^(?:(?:今天|今日|昨天|昨日|明天|本周[一二三四五六日]?|上周[一二三四五六日]?|近日|日前|近期|最近|目前|此前|今年以来|"
    r"当地时间\S{0,12}?|北京时间\S{0,12}?|(?:\d{4}年)?\d{1,2}月\d{1,2}日)\s*[（(]?[^，,（）()]{0,12}?[）)]?\s*[，,]?\s*)+"
)
_ATTRIBUTION = lazy_pattern(
    r"^(?:据[^，,。]{1,24}?(?:报道|消息|披露|统计)|(?:本报)?记者(?:从|自)[^，,。]{1,24}?(?:了解到|获悉)|"
    r"[^，,。]{1,16}?(?:报道|消息)称?|[^，,。]{1,12}?(?:文件|报告|数据|公告|财报|调查)显示)\s*[，,:：]\s*"
    r"|^From [^:.]{1,60}:\s*|^(?:According to|Per) [^,]{1,60},\s*"
)
_DESCRIPTOR = lazy_pattern(
    r"^[^，,。“”《》了将已被把向对在收购投资与和]{0,16}?(?:公司|提供商|开发商|服务商|运营商|供应商|厂商|制造商|平台|机构|实验室|组织|巨头|龙头|"
    r"独角兽|初创企业|创企)\s?(?=[A-Za-z])"
)
_CONJUNCTION = lazy_pattern(r"^(?:而且|而|但是|但|并且|同时|此外|另外)[，,]?\s*(?=[\u4e00-\u9fffA-Za-z])")
_QUOTE_MARKS = lazy_pattern(r"[《》“”「」『』]")
_LONG_QUOTE = lazy_pattern(r"(?:就|对|关于|围绕|针对)?(?:《[^《》]{9,}》|“[^“”]{9,}”)")
_TARGET_WIDE, _TARGET_LATIN = 16, 30  # a headline this long says what happened
_CLAUSE_END = lazy_pattern(r"[，,；;：:—]|\s[-–]\s")
_OPEN, _CLOSE = "“‘「『《（(【[\"", "”’」』》）)】]\""
_DANGLING_ZH = set("的了和与及或在对把被将从向于为以等是并而也还就都着过")
_DANGLING_EN = {"a", "an", "the", "of", "and", "or", "to", "for", "with", "in", "on", "at", "by", "from", "as",
                "is", "are", "was", "that", "which", "its", "their", "our", "your", "but", "into", "via"}
_TRAILING = " ，,。.;；:：、!！?？—-–“\"'「『《（(【["
# A headline never ends on a verb of saying: "X表示，Y" / "X said Y" become "X：Y" / "X: Y".
_SAY_ZH = "指出|表示|宣布|声称|称|透露|强调|认为|预测|坦言|直言|写道|提到|说"
_SAY_EN = "said|says|announced|announces|stated|states|noted|notes|explained|wrote|added|claimed|claims|argued|warned"
_SAYING_END = lazy_pattern(rf"(?:{_SAY_ZH})$|\b(?:{_SAY_EN})$")  # lower case: "… Loading States" is no verb
_ATTRIBUTED = lazy_pattern(
    rf"^(?P<who>[^，,。:：；;]{{1,30}}?)(?:在[^，,。]{{1,20}}?(?:上|中|里|时|期间))?(?:发帖|发文|撰文)?(?:{_SAY_ZH})[，,:：]\s*(?P<what>.+)$"
    rf"|^(?P<who_en>[^,:;]{{2,60}}?)\s+(?:{_SAY_EN})(?:\s+on\s+\w+)?(?:\s+that)?[,:]?\s+(?P<what_en>.+)$"
)


def plain_text(text: str) -> str:
    plain = _MARKUP.sub(lambda m: m.group(1) or "", text[:3000]).strip()
    return _BULLET.sub("", plain)


def first_sentence(text: str) -> str:
    plain = plain_text(text)
    return (_SENTENCE.split(plain, maxsplit=1)[0] if plain else "").strip()


def fits(title: str) -> bool:
    return width(title) <= WIDE_LIMIT if is_wide(title) else len(title) <= LATIN_LIMIT


def _limit(title: str) -> tuple[int, int]:
    return (WIDE_LIMIT, _MIN_WIDE) if is_wide(title) else (LATIN_LIMIT, _MIN_LATIN)


def _measure(text: str) -> int:
    return width(text) if is_wide(text) else len(text)


def _balanced_ends(text: str) -> list[int]:
    """Offsets where a cut would not fall inside quotes or brackets."""
    depth, ok = 0, []
    quote_open = False
    for i, c in enumerate(text):
        if c == '"':
            quote_open = not quote_open
        elif c in _OPEN:
            depth += 1
        elif c in _CLOSE and depth:
            depth -= 1
        if depth == 0 and not quote_open:
            ok.append(i + 1)
    return ok


def _ends_trimmed(text: str) -> str:
    """A whole clause without its closing punctuation (a closing quote stays when it closes one)."""
    return _closed(text, text.strip().rstrip(_TRAILING).strip())


def _closed(original: str, title: str) -> str:
    """`title` with the straight quote it lost put back when it had opened one ('extern "fil-c"')."""
    rest = original.strip()[len(title):]
    return title + '"' if title.count('"') % 2 and rest.startswith('"') else title


def _clean(title: str) -> str:
    original = title
    title = _closed(original, title.strip().rstrip(_TRAILING).strip())
    while True:
        if is_wide(title) and len(title) > 2 and title[-1] in _DANGLING_ZH and cut(title)[-1] == title[-1]:
            title = title[:-1].rstrip(_TRAILING)
            continue
        words = title.split()
        if len(words) > 1 and words[-1].lower() in _DANGLING_EN:
            title = " ".join(words[:-1]).rstrip(_TRAILING)
            continue
        return title.lstrip(" ，,、:：")


def _strip_quotes_if_whole(title: str) -> str:
    if len(title) > 2 and title[0] in "“\"「『" and title[-1] in "”\"」』":
        return title[1:-1]
    return title


@lru_cache(maxsize=4096)
def condense(sentence: str, literal: bool = False) -> str:
    """The sentence without its date lead, attribution, an opening clause that only sets the scene, and the
    descriptor before its subject."""
    s = sentence.strip().rstrip("。.!！?？").strip()
    for _ in range(2):
        s = _LEAD.sub("", s, count=1)
        s = _ATTRIBUTION.sub("", s, count=1)
        s = drop_scene(s, join=not literal)
    s = _DESCRIPTOR.sub("", s, count=1)
    return _CONJUNCTION.sub("", s, count=1).strip()  # "而Open-Sora的开发标志着…"


@lru_cache(maxsize=4096)
def fit_headline(text: str, room: int = 0, literal: bool = False) -> str:
    """`text` cut to the title limits (or to `room` columns / characters): at a clause boundary, else
    shortened phrase by phrase (studio.ingest.phrases); never inside quotes, a word or a number.
    `literal`: only cuts, no words left out inside (the title stays a piece of the text)."""
    text = " ".join(text[:400].split())[:160]  # a headline comes from the opening words
    limit, least = _limit(text)
    limit = min(limit, room) if room else limit
    if _measure(_ends_trimmed(text)) <= limit:  # the whole clause: its last word is no dangling one
        return _strip_quotes_if_whole(_ends_trimmed(text))
    variants = [text] if literal else [v for v in dict.fromkeys([text, compress(text), drop_modifiers(compress(text))]) if v]
    target = min(limit, _target(text))
    for variant in variants:  # a clause that says enough, a long phrase prefix, a shorter subject or object,
        title = _clause_prefix(variant, limit, target)  # then a short clause, then any phrase prefix
        if title:
            return title
    for variant in variants:
        title = _phrase_prefix(variant, limit, max(least, limit * 2 // 3))
        if title:
            return title
    if is_wide(text) and not literal:
        for variant in variants:
            first = re.split(r"[，,；;]", variant, maxsplit=1)[0]  # "名称：说明" stays whole
            shorter = subject_heads(first)
            for title in [*object_heads(first), *shorter, *(t for s in shorter for t in object_heads(s))]:
                title = _ends_trimmed(title)
                title = _clean(_SAYING_END.sub("", title)) if ends_saying(title) else title  # "…报告 | 指出"
                if least <= _measure(title) <= limit:
                    return title
    for variant in variants:
        title = _clause_prefix(variant, limit, least) or _phrase_prefix(variant, limit, least)
        if title:
            return title
    if is_wide(text):  # who or what the story is about, when what happened does not fit
        for variant in variants:
            title = _ends_trimmed(subject(re.split(r"[，,；;]", variant, maxsplit=1)[0]))
            if least <= _measure(title) <= limit and not ends_badly(title):
                return title
    for variant in variants:  # a noun phrase that ends where a phrase ends ("…工具 | 被开发人员用于为…")
        title = _phrase_prefix(variant, limit, least, need_verb=False)
        if title:
            return title
    return _word_prefix(text, limit, least)


def _clause_prefix(text: str, limit: int, least: int) -> str:
    """The first clause prefix of `text` that says enough, else the whole, else the longest clause prefix
    that fits; or ""."""
    safe = set(_balanced_ends(text))
    target = _target(text)
    best = ""
    for m in _CLAUSE_END.finditer(text):
        head = _clean(text[: m.start()])
        if m.start() in safe:
            if least <= _measure(head) <= limit:
                best = head
                if _measure(head) >= target:
                    return head
            elif _measure(head) > limit:
                break
    whole = _ends_trimmed(text)
    if least <= _measure(whole) <= limit:
        return _strip_quotes_if_whole(whole)
    return best


def _phrase_prefix(text: str, limit: int, least: int, need_verb: bool = True) -> str:
    """The longest prefix of `text` that ends where a phrase ends and fits (Chinese: holding a verb when
    `need_verb`); or ""."""
    safe = set(_balanced_ends(text))
    best = ""
    for end in phrase_ends(text):
        if end not in safe and end != len(text):
            continue
        head = _clean(text[:end])
        if _measure(head) > limit:
            break
        if _measure(head) >= least and not ends_badly(head) and _whole_phrase(text, head) \
                and (not is_wide(head) or has_verb(head) and not _modifies(text[len(head):])
                     or not need_verb and not has_verb(head)):  # a noun phrase: the subject before its predicate
            best = head
    return best


def _modifies(rest: str) -> bool:
    """Chinese: what follows a cut still modifies a noun of its clause (a 的 before the clause ends), so
    the cut falls inside a noun phrase ("一项旨在推动AI技术 | 在联邦政府应用的全新计划")."""
    return "的" in _CLAUSE_END.split(rest, maxsplit=1)[0]


def _whole_phrase(text: str, head: str) -> bool:
    """`head` (a cleaned prefix of `text`) was not cut short by the cleaning of a dangling word."""
    rest = text[len(head):].lstrip(_TRAILING)
    return not rest or text[len(head)] in _TRAILING or any(rest.startswith(w) for w in ZH_OPENERS) \
        or rest.split()[0].lower().strip("\"'“(") in EN_OPENERS


def _word_prefix(text: str, limit: int, least: int) -> str:
    """The longest word prefix that fits (the last resort: it may end inside a phrase)."""
    safe = set(_balanced_ends(text))
    pos, words_best = 0, ""
    for tok in cut(text):
        at = text.find(tok, pos)
        if at < 0:
            continue
        pos = at + len(tok)
        if _measure(text[:pos]) > limit:
            break
        if pos in safe:
            words_best = _clean(text[:pos])
    if words_best and _measure(words_best) >= min(least, _measure(_clean(text))):
        return words_best
    return words_best or _hard_cut(text, limit)


def _hard_cut(text: str, limit: int) -> str:
    out = ""
    for c in text:
        if _measure(out + c) > limit:
            break
        out += c
    return _clean(out)


@lru_cache(maxsize=4096)
def headline(text: str, name: str = "", literal: bool = False) -> str:
    """A headline for an item whose text is `text`; `name` (its subject) when nothing better exists.
    `literal`: a piece of the text as it stands (words cut off, none left out inside), for the readers whose
    email and page show the text the title came from (a newsletter bullet, an untitled paragraph)."""
    title = _headline(text, name, literal)
    body = condense(first_sentence(text))
    if _ATTRIBUTED.match(body) and not literal:  # "X表示，Y" / "X said Y": the speaker and what was said
        title = _attributed(body) or title
    if not ends_saying(title):
        return title
    return _clean(_SAYING_END.sub("", title)) or title


def ends_saying(title: str) -> bool:
    """The title ends on a verb of saying that is its predicate ("谷歌方面表示"; not "…重构为结构化表示")."""
    end = _SAYING_END.search(title)
    return bool(end) and not (is_wide(title) and has_verb(title[: end.start()]))


def _attributed(body: str) -> str:
    """'Speaker：what was said' for an opening "X表示，Y" / "X said Y", within the limits; else ""."""
    m = _ATTRIBUTED.match(body)
    if not m:
        return ""
    who = _clean(m.group("who") or m.group("who_en"))
    what = m.group("what") or m.group("what_en")
    wide = is_wide(body)
    sep = "：" if wide else ": "
    room = _limit(body)[0] - _measure(who + sep)
    said = fit_headline(what, room) if room >= _limit(body)[1] // 2 else ""
    if not said or not fits(f"{who}{sep}{said}") or _SAYING_END.search(said):
        return ""
    return f"{who}{sep}{said}"


def _headline(text: str, name: str = "", literal: bool = False) -> str:
    plain = plain_text(text)
    sentence = _SENTENCE.split(plain, maxsplit=1)[0].strip() if plain else ""
    body = condense(sentence, literal)
    if not body:
        return name or fit_headline(plain[:200], 0, literal)
    if not is_wide(body) and ":" in body:  # "oil.nvim: A new take on …" / "How to migrate …: r/nvim …"
        head = body.split(":", 1)[0].strip()
        if len(head.split()) >= 3 and len(head) <= LATIN_LIMIT:
            return _clean(head)
    # When the opening sentence gives too little (a bare name, or a long quote that cannot
    # be cut), try it with quote marks dropped, then without long quotes, then the next sentence.
    title, done = _from_opening(body, literal)
    if done:
        return title
    best = title
    candidate = condense(first_sentence(plain[len(sentence) :]), literal)
    if candidate:
        title = fit_headline(candidate, 0, literal)
        if _measure(title) >= _target(title):
            return title
        if _measure(title) > _measure(best):
            best = title
    return best or name


@lru_cache(maxsize=4096)
def _from_opening(body: str, literal: bool = False) -> tuple[str, bool]:
    """The best headline from the opening sentence `body` and its variants; True when it says enough."""
    best = ""
    for candidate in (body,) if literal else (body, _QUOTE_MARKS.sub("", body), _dropped_quotes(body)):
        if not candidate:
            continue
        title = fit_headline(candidate, 0, literal)
        if _measure(title) >= _target(title):
            return title, True
        if _measure(title) > _measure(best):
            best = title
    return best, False


def _target(text: str) -> int:
    return _TARGET_WIDE if is_wide(text) else _TARGET_LATIN


def _dropped_quotes(text: str) -> str:
    """Without quoted titles longer than 8 characters (and the preposition before them)."""
    return _LONG_QUOTE.sub("", text)


def unique_titles(titles: list[str], texts: list[str], taken: set[str] = frozenset()) -> list[str]:
    """Make equal titles distinct: a longer cut of the item's own words, else a number.

    `taken`: titles already used in the episode (the script's own headings), never changed.
    """
    out: list[str] = []
    seen: set[str] = set(taken)
    counts: dict[str, int] = {}
    for title, text in zip(titles, texts):
        if title in seen:
            longer = _longer(title, text) if counts.get(title, 1) < 3 else ""  # linear on repetitive input
            if longer and longer not in seen:
                title = longer
            else:
                base = title
                n = counts.get(base, 1)
                while True:
                    n += 1
                    title = f"{base}（{n}）" if is_wide(base) else f"{base} ({n})"
                    if title not in seen:
                        break
                counts[base] = n
        counts.setdefault(title, 1)
        seen.add(title)
        out.append(title)
    return out


def _longer(title: str, text: str) -> str:
    body = condense(first_sentence(text))
    if body and body != title and fits(_clean(body)):
        return _clean(body)
    rest = plain_text(text)
    words = [w for w in cut(rest[:400]) if w.strip()]
    candidate = fit_headline("".join(words) if is_wide(rest) else " ".join(words))
    return candidate if candidate != title else ""
