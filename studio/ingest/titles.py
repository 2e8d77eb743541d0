"""Short item titles derived from text: a story's subject, or its first clause."""

from __future__ import annotations

import re

from studio.ingest.entities import COMPANIES, PLACES
from studio.ingest.segment import SentenceInfo
from studio.ingest.textwidth import clip, width

_PLACES = set(PLACES)
_COMPANY_PREFIX = re.compile("|".join(sorted(map(re.escape, COMPANIES), key=len, reverse=True)))
_CITY = re.compile(r"^(\S{2,4}市)")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_MARKUP = re.compile(r"!\[[^\[\]\n]*\]\([^()\n]*\)|\[([^\[\]\n]*)\]\([^()\n]*\)|[*_`#>]+")


def short_title(text: str, limit: int = 40, min_width: int = 16) -> str:
    """The opening clause(s) of `text` without markup, at most `limit` columns (CJK = 2).

    Clauses are added until the title is at least `min_width` wide, so a title
    is never just "所以" or "在国内".
    """
    plain = _MARKUP.sub(lambda m: m.group(1) or "", text[:2000]).strip()
    plain = _BULLET.sub("", plain)
    sentence = re.split(r"(?<=[。！？!?])|\n", plain, maxsplit=1)[0]
    title = ""
    for clause in re.split(r"(?<=[,，;；:：])", sentence):
        title += clause
        if width(title.strip(" “”\"'「」『』（）()")) >= min_width:
            break
    title = title.strip().rstrip(",，;；:：、。.").strip(" “”\"'「」『』（）()")
    return clip(title or plain[:limit].strip(), limit)


def story_title(infos: list[SentenceInfo]) -> str:
    """The story's subject: the name it opens with, unless another (non-place) name dominates."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for info in infos:
        for e in info.entities:
            counts[e.key] = counts.get(e.key, 0) + 1
            names.setdefault(e.key, e.name)
    if not counts:
        return short_title(" ".join(i.sentence.text for i in infos))
    first = infos[0]
    lead = first.introduced or (first.subject[0] if first.subject else None)
    if lead is None:
        lead = next((e for i in infos for e in i.entities), None)
    assert lead is not None
    best = max((k for k in counts if names[k] not in _PLACES), key=counts.__getitem__, default=lead.key)
    key = best if counts[best] > counts[lead.key] else lead.key
    return _shorten(names[key])


def _shorten(name: str) -> str:
    """City bodies by their city (北京市政府办公厅 -> 北京市), units by their company (阿里云智能集团 -> 阿里云)."""
    m = _CITY.match(name) or _COMPANY_PREFIX.match(name)
    if m and len(name) > len(m.group(0)) and (m.group(0) in _PLACES or m.re is _COMPANY_PREFIX):
        return m.group(0)
    return name
