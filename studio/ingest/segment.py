"""Segment a spoken transcript's sentences into stories (lexical, no models).

Between two sentences the rules are tried in order:
1. a host boundary (blank line or `---`) starts a new story;
2. a continuation cue at the start (此前, 然而, 双方, 公司, 该, 据了解, ...) continues it;
3. a date lead ("5月30日,") starts a new story;
4. a newly introduced name ("韩国搜索引擎公司Naver") starts a new story;
5. the sentence's subject (its first name, plus names joined by 和/与/同) continues
   the story when the story already mentioned it, and starts a new one otherwise;
6. a sentence without a subject continues the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.ingest.entities import Entity, find_entities
from studio.ingest.sentences import Sentence

_CONTINUATION = re.compile(
    r"^(?:此前|此后|随后|之后|然而|不过|但是|但|而且|并且|而|此外|另外|同时|与此同时|其中|对此|目前|此次|此举|"
    r"双方|两家|公司|该|其|这|那|他们|她们|它们|他|她|它|据了解|据悉|据称|据报道|有学者|有专家|学者|专家|"
    r"研究|报告|白皮书|文件|集团|就在|不仅|因此|所以|同样|另一方面|分析师|业内|官方|"
    r"(?:However|Meanwhile|It|Its|They|Their|He|She|His|Her|This|That|These|Also|But|And|In addition|"
    r"Previously|Earlier|Later|The company|The firm|Both)\b)"
)
_DATE_LEAD = re.compile(
    r"^(?:\d{4}年)?\d{1,2}月\d{1,2}日[,，]?|^(?:On )?(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December) \d{1,2}\b"
)
# Leading adverbials to skip before looking for the subject.
_ADVERBIAL = re.compile(
    r"^(?:(?:今年以来|近日|日前|近期|本周|上周|昨天|今天|最近|当地时间\S{0,12}?|(?:\d{4}年)?\d{1,2}月\d{1,2}日)[,，]?\s*)+"
)
_ATTRIBUTION = re.compile(r"^(?:据)?[^,，。]{1,12}?(?:报道|消息|称|表示)[,，:：]\s*")
_DESCRIPTOR = re.compile(
    r"(?:公司|提供商|开发商|服务商|运营商|供应商|厂商|制造商|平台|机构|实验室|组织|巨头|龙头|独角兽|初创企业|创企)\s?$"
)
_JOINER = re.compile(r"\s*(?:和|与|同|及|、|以及|and|&)\s*")
_SUBJECT_WINDOW = 12  # a first name further in is an object, not the subject


@dataclass(slots=True)
class SentenceInfo:
    sentence: Sentence
    entities: list[Entity]
    subject: list[Entity] = field(default_factory=list)
    introduced: Entity | None = None  # a name introduced with a descriptor
    cue: bool = False
    date_lead: bool = False


def analyse(sentence: Sentence) -> SentenceInfo:
    text = sentence.text
    info = SentenceInfo(sentence, find_entities(text))
    info.cue = bool(_CONTINUATION.match(text))
    lead = _ADVERBIAL.match(text)
    head = text[lead.end() :] if lead else text
    attribution = _ATTRIBUTION.match(head)
    if attribution:
        head = head[attribution.end() :]
    info.date_lead = bool(_DATE_LEAD.match(text) or _DATE_LEAD.match(head))
    offset = len(text) - len(head)
    later = [e for e in info.entities if e.start >= offset]
    if later and later[0].start - offset <= _SUBJECT_WINDOW:
        info.subject = _coordinated(text, later)
        first = later[0]
        prefix = text[offset : first.start]
        if _DESCRIPTOR.search(prefix) and "，" not in prefix and "," not in prefix:
            info.introduced = first
    elif later:
        info.introduced = _descriptor_name(text, offset, later)
    return info


def _descriptor_name(text: str, offset: int, entities: list[Entity]) -> Entity | None:
    first = entities[0]
    prefix = text[offset : first.start]
    if len(prefix) <= 30 and _DESCRIPTOR.search(prefix) and not re.search(r"[,，]", prefix):
        return first
    return None


def _coordinated(text: str, entities: list[Entity]) -> list[Entity]:
    """The first name plus names joined to it by 和/与/同/、 (co-subjects)."""
    subject = [entities[0]]
    end = entities[0].start + len(entities[0].name)
    for e in entities[1:]:
        if e.start < end:  # nested (北京市 inside 北京市政府办公厅)
            subject.append(e)
            continue
        gap = text[end : e.start]
        if not _JOINER.fullmatch(gap):
            break
        subject.append(e)
        end = e.start + len(e.name)
    return subject


def _known(key: str, story_keys: set[str]) -> bool:
    """Named before in the story, also as part of a longer name (腾讯 ~ 腾讯云)."""
    if key in story_keys:
        return True
    return len(key) >= 2 and any(key in k or (len(k) >= 2 and k in key) for k in story_keys)


def starts_story(info: SentenceInfo, story_keys: set[str]) -> bool:
    """Does this sentence start a new story, given the names the story mentioned so far?"""
    if info.cue:
        return False
    if info.date_lead:
        return True
    if info.introduced is not None and not _known(info.introduced.key, story_keys):
        return True
    if info.subject:
        return not any(_known(e.key, story_keys) for e in info.subject)
    return False


def segment(infos: list[SentenceInfo], forced: set[int] | None = None) -> list[list[int]]:
    """Group sentence indexes into stories. `forced`: indexes that must start a story."""
    forced = forced or set()
    stories: list[list[int]] = []
    keys: set[str] = set()
    for i, info in enumerate(infos):
        if not stories or i in forced or starts_story(info, keys):
            stories.append([i])
            keys = set()
        else:
            stories[-1].append(i)
        keys.update(e.key for e in info.entities)
    return stories
