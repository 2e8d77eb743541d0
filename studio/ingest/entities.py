"""Lexical named-entity spotting for news prose (no models).

Three kinds of names are found in one regex pass:
- Latin names: "Runway", "Character.ai", "Applied Digital", "GH200 Grace Hopper";
- well-known Chinese company and place names from a small gazetteer;
- Chinese organisations by suffix: "上海市发展改革委员会", "教育部", "中关村论坛".
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern

COMPANIES = (
    "微软 谷歌 百度 阿里巴巴 阿里云 阿里 腾讯云 腾讯 字节跳动 抖音 华为 英伟达 软银 苹果 亚马逊 三星 英特尔 "
    "特斯拉 小米 京东 美团 商汤 科大讯飞 高通 台积电 联发科 甲骨文 脸书 推特 网易 拼多多 快手 百川智能 "
    "智谱 月之暗面 零一万物 中国移动 中国电信 中国联通 摩根大通 高盛 红杉 超威 国家电网"
).split()
PLACES = (
    "北京市 上海市 深圳市 广州市 杭州市 天津市 重庆市 成都市 武汉市 南京市 苏州市 北京 上海 深圳 广州 杭州 "
    "天津 重庆 成都 武汉 南京 苏州 广东 浙江 江苏 山东 四川 香港 澳门 台湾 中国 美国 英国 法国 德国 日本 "
    "韩国 印度 俄罗斯 欧盟 欧洲 加拿大 澳大利亚 新加坡 沙特阿拉伯 沙特 阿联酋 以色列 巴基斯坦 墨西哥 西班牙 "
    "意大利 巴西 越南 印尼 印度尼西亚 马来西亚 泰国 荷兰 瑞士 瑞典 中关村 硅谷"
).split()
# Latin words that are not names (sentence starts, generic tech terms).
STOP_LATIN = set(
    """a an the this that these those it its he she they we i you our their his her there here
    and or but so if as at by for from in into of on to with without about after before over under
    however meanwhile also then when while what which who why how yes no not all some many more most
    according earlier later previously today yesterday tomorrow thanks thank hello hi welcome ok okay
    ai ml llm llms gpu gpus cpu tpu ceo cto cfo coo it api app apps sdk saas paas iaas web web3 aigc
    soc 5g 6g ar vr xr ip pc tv usb gpt os ui ux ipo vc b2b b2c id dna mrna""".split()
)
_ORG_SUFFIX = (
    "委员会|证监会|银监会|办公厅|人民政府|政府|集团|公司|大学|学院|研究院|研究所|实验室|协会|基金会|银行|交易所|论坛|法院"
    "|(?<![内全外总局分])部(?![分门署])"
)
_LATIN_WORD = r"[A-Za-z][A-Za-z0-9]*(?:[.&+'’-][A-Za-z0-9]+)*"
_LATIN_NEXT = r"(?:[A-Z0-9][A-Za-z0-9]*(?:[.&+'’-][A-Za-z0-9]+)*)"
def trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words`, longest first, as a prefix tree (fast to scan)."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        optional = "" in node
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if optional else body

    return build(tree)


_GAZETTEER = trie_pattern(COMPANIES + PLACES)
# An org name starts after a non-CJK char, a sentence start or a function word.
_FUNCTION = "的在与和对由向及等是为将从同"
_ORG_BODY = rf"[^\W\da-zA-Z_{_FUNCTION}]"  # CJK, not a function word
_SUFFIX = lazy_pattern(_ORG_SUFFIX)
_ORG = lazy_pattern(rf"(?<!{_ORG_BODY}){_ORG_BODY}{{1,10}}?(?:{_ORG_SUFFIX})")  # starts at a boundary
_IS_BODY = lazy_pattern(_ORG_BODY).match
_ORG_MAX = 10  # body characters before the suffix
_FIRST = re.escape("".join(sorted({w[0] for w in COMPANIES + PLACES})))
_NAME = lazy_pattern(
    rf"(?=[A-Za-z{_FIRST}])"  # cheap first-character filter
    rf"(?:(?P<gaz>{_GAZETTEER})|(?P<latin>(?<![A-Za-z0-9]){_LATIN_WORD}(?:[ \t]+{_LATIN_NEXT})*))"
)
_DESCRIPTOR_ORG = lazy_pattern(r"公司$")
_GAZ_ONLY = lazy_pattern(_GAZETTEER)


class Entity:
    """A name found in a sentence; `key` is the lower-cased name used for comparisons."""

    __slots__ = ("name", "start", "kind", "key")

    def __init__(self, name: str, start: int, kind: str):
        self.name, self.start, self.kind, self.key = name, start, kind, name.lower()

    def __repr__(self) -> str:
        return f"Entity({self.name!r}, {self.start}, {self.kind!r})"


def find_entities(text: str) -> list[Entity]:
    out: list[Entity] = []
    taken: list[tuple[int, int]] = []  # org spans: names inside them are part of the org
    for start, end in _org_spans(text) if _SUFFIX.search(text) else ():
        while (more := _SUFFIX.match(text, end)) and more.end() > end:
            end = more.end()  # 北京市政府 + 办公厅
        taken.append((start, end))
        name = text[start:end]
        if _DESCRIPTOR_ORG.search(name) and _followed_by_name(text, end):
            continue  # "搜索引擎公司Naver": a descriptor, the name follows
        out.append(Entity(name, start, "org"))
        if gaz := _GAZ_ONLY.match(name):  # keep a leading gazetteer name visible too
            out.append(Entity(gaz.group(), start, "gaz"))
    spans = iter(taken)
    span = next(spans, None)
    for m in _NAME.finditer(text):
        while span is not None and span[1] <= m.start():
            span = next(spans, None)
        if span is not None and span[0] <= m.start() < span[1]:
            continue
        if m.lastgroup == "latin":
            name = _trim_latin(m.group())
            if name:
                out.append(Entity(name, m.start(), "latin"))
        else:
            out.append(Entity(m.group(), m.start(), "gaz"))
    if taken:
        out.sort(key=lambda e: e.start)
    return out


def _org_spans(text: str):
    """The (start, end) of each `_ORG` match, found from the suffixes backwards (much faster).

    A match starts where a run of body characters starts and ends at the run's first suffix
    1..10 characters in, so a run holds at most one; its start is at most 11 characters back.
    """
    last_start, pos = -1, 0
    while m := _SUFFIX.search(text, pos):
        q = start = m.start()
        pos = q + 1  # suffixes may overlap ("人民政府" holds "政府")
        while start > 0 and q - start <= _ORG_MAX and _IS_BODY(text[start - 1]):
            start -= 1
        if start == q or q - start > _ORG_MAX or start == last_start:
            continue  # no body before the suffix, the run starts too far back, or it has its match
        last_start = start
        yield start, m.end()


def _is_name_word(word: str) -> bool:
    if word.lower().strip(".") in STOP_LATIN:
        return False
    return word != word.lower() or any(c.isdigit() or c == "." for c in word)


def _trim_latin(name: str) -> str:
    if " " not in name and "\t" not in name:
        return name if len(name) > 1 and _is_name_word(name) else ""
    words = [w for w in name.split() if _is_name_word(w)]
    if not words:
        return ""
    if len(words) == 1 and len(words[0]) == 1:
        return ""
    return " ".join(words)


def _followed_by_name(text: str, pos: int) -> bool:
    rest = text[pos : pos + 2].lstrip()
    return bool(rest) and (rest[0].isascii() and rest[0].isalpha())
