"""Phrase-level shortening of a headline that does not fit.

A headline is the opening clause's subject and what happened. When that clause is
too long it is not cut wherever the limit falls: first what a headline can do
without is dropped (dates and times, places and manners, parentheses, glosses
such as "也就是…", the trade before a name, numbers and "关于…" before 的), then it
may end only where a phrase ends, at a clause mark or before a word that opens a
new phrase (在, 以, 通过, 旨在 …; to, for, by, which …), never after a bare number,
a function word or an adverb. In Chinese, whose noun phrases end on their head, an
object may keep only its head ("设立10亿元人民币的百度文心投资基金" ->
"设立百度文心投资基金") and a subject its head or its first name ("A、B和C" -> "A等").
Nothing is dropped across a word or a pair of quotes or brackets.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern
from studio.ingest.words import cut

# a word that opens a new phrase: a headline may end just before it
ZH_OPENERS = frozenset(
    """在 于 以 对 向 从 为 把 被 由 与 同 给 通过 基于 根据 按照 依据 针对 围绕 关于 随着 经过 利用 借助 凭借 面向
    并 并且 而 及 以及 或 以便 旨在 使 让 令 从而 进而 同时 此外 包括 其中 期间 之后 以后 以来 被
    为了 例如 比如 也就是 超过 涉及 至""".split()
)
EN_OPENERS = frozenset(
    """to for with in on at by from via which who whose that where when while during after before using including
    as into across under over through because so but and or than since until without within against about per
    among between amid like unlike""".split()
)
# a headline never ends on one of these
ZH_FUNCTION = frozenset(
    """的 了 和 与 及 或 在 对 把 被 将 从 向 于 为 以 等 是 并 而 也 还 就 都 着 过 已 已经 正 正在 则 又 再 仍 均
    首个 一个 一款 一项 一份 一种 一篇 该 其 这 那 更 最 很 非常 共同 全面 正式 近日 日前 近期 目前 此前 今天 昨天
    本周 上周 今年 当地时间""".split()
)
_COORDINATORS = frozenset("与 及 以及 或 和".split())
# a verb whose complement must follow: a headline never stops after it ("…工具被开发人员用于 | 为视频游戏角色提供…")
ZH_NEEDS_COMPLEMENT = frozenset("用于 致力于 有助于 用来 面向 旨在 开始 继续 准备 试图 希望 能够 可以 帮助 负责 专注于 专为".split())
_EN_DETERMINERS = {"a", "an", "the", "its", "their", "his", "her", "our", "your", "my", "this", "these", "those"}
_EN_ADJECTIVES = {"new", "latest", "first", "next", "last", "same", "other", "old", "own", "big", "small", "major",
                  "recent", "upcoming", "current", "previous", "official", "initial", "experimental"}
_EN_END_BAD = {"a", "an", "the", "of", "its", "their", "his", "her", "our", "is", "are", "was", "were", "be", "been"}
_NUMBER_END = lazy_pattern(r"(?:\d[\d.,]*|[一二三四五六七八九十百千万亿两几]+|若干)"
                         r"(?:[亿万千百]*(?:美元|元|股|辆|个|家|项|条|名|倍|人次|人|台|年|月|日|天|期|周|%|％))?$")
_PARTICIPLE = lazy_pattern(r"[a-z]{3,}(?:ing|ly)")  # "modules | improving …", "patches | roughly …" (not "to track | scaling")
_EN_NUMBER_END = lazy_pattern(r"(?:^|\s)[\d.,%$€£]+[a-zA-Z%]{0,2}$")
_CJK = lazy_pattern(r"[\u4e00-\u9fff]")
# verbs that carry a news clause ("what happened"); enough to find the verb of most openings
VERBS = frozenset(
    """发布 推出 宣布 完成 开展 设立 举办 召回 增持 减持 收购 投资 上线 启动 签署 提出 获得 达到 突破 实现 成立
    计划 决定 主持 召开 部署 研发 开发 提供 支持 上市 融资 推动 发现 表示 指出 认为 批评 分享 表达 泄露 移植 重构 构建
    打造 维持 打破 创下 刷新 采取 核查 上报 公布 披露 批准 发起 加入 退出 关闭 暂停 恢复 下调 上调 降低 提高
    增长 下降 上涨 下跌 升至 降至 是 成为 拿下 赢得 遭遇 面临 起诉 处罚 罚款 调查 警示 监控 印发 出台
    实施 施行 生效 落地 亮相 展示 演示 演讲 更新 升级 迭代 改进 优化 修复 引入 新增 兼容 集成 合作 携手
    达成 签约 中标 交付 量产 开售 发售 涨价 降价 招聘 裁员 离职 辞职 任命 出任 接任 回应 否认 确认 澄清 警告 呼吁
    要求 建议 允许 禁止 限制 放宽 扩大 缩小 改名 更名 迁移 取代 超越 领先 登顶 入选 评估 测试 训练
    生成 识别 检测 编写 帮助 推测 讨论 拥有 推进 探索 举行 参加 参与 零售 销售 售出 泄露 依赖
    完善 加强 加快 需要 存在 保持 坚持 落实 促进 鼓励 规范 回落 回升 走高 走低 收涨 收跌 报收 推迟 延迟 延期 提前
    分析 打击 谈判 整合 面临 用于 进行 展开 出现""".split()
)
_PAIRS = ("《》", "“”", "（）", "()", "「」", "『』", "【】")
# dropped first: parentheses, glosses, dates and times, places, manners, bare adverbs, the trade before a name
_DATES = (  # whole by their own shape (jieba may glue a date's 日 to the next word: "日以")
    lazy_pattern(r"\s*[（(][^（）()]{0,40}[）)]"),
    lazy_pattern(r"[，,]?也就是[^，,。；]{1,30}"),
    lazy_pattern(r"从(?:\d{4}年)?\d{1,2}月(?:\d{1,2}日)?起[，,]?"),
    lazy_pattern(r"(?:于|在)?(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:至\d{1,2}月?\d{1,2}日)?(?:起|前|后)?(?![的至\d])[，,]?"),
    lazy_pattern(r"^(?:\d{4}年)?(?:\d{1,2}[-—至])?\d{1,2}月份?(?:\d{1,2}[-—至]\d{1,2}日)?[，,]"),
    lazy_pattern(r"(?:近日|日前|近期|本周|上周|今日|当天|目前|当前|二季度|一季度|三季度|四季度)(?![的])"),
)
_DROP_ZH = (
    lazy_pattern(r"在[^，,。；在]{1,16}?(?:上|中|里|内|期间|之际)"),
    lazy_pattern(r"在(?:北京|上海|深圳|广州|杭州|香港|GitHub|美国|中国|日本|欧洲|全球)"),
    lazy_pattern(r"以[^，,。；以]{1,16}?(?:方式|形式|身份|名义)"),
    lazy_pattern(r"(?:正式|共同|联合|全面|首度|首次|再次|继续|大幅|成功|过度|共)(?=[\u4e00-\u9fff])"),
    lazy_pattern(r"就[^，,。；]{2,40}(?=进行|展开)"),  # "就将…整合到iPhone中 | 进行谈判"
    lazy_pattern(r"(?:对|向|为|给|在|因)(?![\u4e00-\u9fff]{0,1}(?:话|于|象|手|外|此|应|为|而))[^，,。；]{1,30}?(?=(?:" + "|".join(sorted(VERBS, key=len, reverse=True))
               + r")(?!的))"),  # "对苹果的技术|表达了热情"
    lazy_pattern(r"(?:(?<=[同与和向对及跟、，,])|^)[\u4e00-\u9fff]{2,10}?"
               r"(?:公司|提供商|开发商|服务商|运营商|供应商|厂商|制造商|平台|机构)\s?(?=[A-Za-z])"),
)
# then, in an object, a modifier before 的 (a number, a quantity, "关于…", "一份…")
_MODIFIER_ZH = lazy_pattern(r"(?:一[个款项份种篇部](?!的)|(?:关于|针对|有关)[^，,。；的《》“”]{1,30}?的)")
_QUANTITY_ZH = lazy_pattern(r"\d[^，,。；的《》“”]{0,14}?的")  # "10亿元人民币的"


def is_wide(text: str) -> bool:
    return bool(_CJK.search(text))


def compress(text: str) -> str:
    """`text` without what a headline can do without (Chinese; Latin text loses its parentheses only)."""
    if not is_wide(text):
        return re.sub(r"\s*\([^()]{0,60}\)", "", text).strip()
    out = text
    for rx in _DATES:
        out = "".join(_pieces(rx, out, lambda a, b: True))
    for rx in _DROP_ZH:
        out = _drop(rx, out)
    return out.strip(" ，,")


def drop_modifiers(text: str) -> str:
    """Chinese: numbers, quantities and "关于…的" modifiers before a noun dropped (never one holding a verb:
    "15篇研究报告讨论大语言模型的" is a clause)."""
    if not is_wide(text):
        return text
    text = _drop(_MODIFIER_ZH, text)
    bounds = _bounds(text)
    return "".join(_pieces(_QUANTITY_ZH, text, lambda a, b: a in bounds and b in bounds
                           and not VERBS.intersection(cut(text[a:b])[1:])))


def _drop(rx: re.Pattern, text: str) -> str:
    """`text` without the matches of `rx` that begin and end between words and leave quotes paired."""
    bounds = _bounds(text)
    return "".join(_pieces(rx, text, lambda a, b: a in bounds and b in bounds))


def _pieces(rx: re.Pattern, text: str, between_words) -> list[str]:
    """`text` split around the matches of `rx` that `between_words(start, end)` allows and that leave its
    quotes and brackets paired (the matches left out)."""
    out, pos = [], 0
    for m in rx.finditer(text):
        start = m.start() + len(m.group()) - len(m.group().lstrip())
        end = m.end() - len(m.group()) + len(m.group().rstrip())
        if between_words(start, end) and _paired(m.group()):
            out.append(text[pos : m.start()])
            pos = m.end()
    out.append(text[pos:])
    return out


def _bounds(text: str) -> set[int]:
    """Offsets between two words of `text` (jieba words for Chinese)."""
    out, pos = {0, len(text)}, 0
    for tok in cut(text):
        at = text.find(tok, pos)
        if at < 0:
            continue
        out.update((at, at + len(tok)))
        pos = at + len(tok)
    return out


def _paired(text: str) -> bool:
    """Every quote and bracket of `text` closed (a straight " may stand for either curly quote)."""
    loose = text.count('"')
    return all(abs(text.count(a) - text.count(b)) <= (loose if a == "“" else 0) for a, b in _PAIRS)


# a first clause that only sets the scene: "乘着…热潮，" "随着…，" "在…中，" (dropped: what happened follows)
_SCENE_ZH = lazy_pattern(r"^(?:(?:乘着|随着|伴随着?|趁着|无独有偶|与此同时)[^，,。；;]{0,30}"
                       r"|在[^，,。；;]{1,30}?(?:时|中|之际|期间|过程中))[，,]\s*(?=\S)")
# a subject, then only where or how ("微软 | 面向…印度市场，推出…", "本文 | 以…为例，探讨…"): the subject
# goes on with the next clause
_SETTING_ZH = lazy_pattern(r"^(?P<who>[^，,。；;、“”《》]{2,20}?)(?:(?:面向|针对)[^，,。；;]{1,30}"
                         r"|在[^，,。；;]{1,30}?(?:时|中|之际|期间)|以[^，,。；;]{1,30}?为例)[，,]\s*(?P<rest>\S.*)$")


def drop_scene(sentence: str, join: bool = True) -> str:
    """Chinese: `sentence` without an opening clause that holds no news verb and only says when, where or
    how (a time, a trend ridden, a market aimed at); with `join`, the subject such a clause names is kept
    before what follows."""
    if not is_wide(sentence):
        return sentence
    first = re.split(r"[，,；;]", sentence, maxsplit=1)[0]
    if first == sentence or has_verb(first):
        return sentence
    m = _SCENE_ZH.match(sentence)
    if m:
        return sentence[m.end():]
    m = _SETTING_ZH.match(sentence) if join else None
    if m and not ZH_OPENERS.intersection(cut(m.group("who"))):
        return m.group("who") + m.group("rest")
    return sentence


def ends_badly(title: str) -> bool:
    """A headline ending on a function word or adverb, a bare number or quantity, or with a pair open."""
    t = title.rstrip()
    if not t or not _paired(t):
        return True
    if is_wide(t[-1]) or _NUMBER_END.search(t) and is_wide(t):
        tokens = cut(t)
        return bool(tokens) and (tokens[-1] in ZH_FUNCTION or tokens[-1] in ZH_OPENERS or tokens[-1] in ("到", "就")
                                 or tokens[-1] in ZH_NEEDS_COMPLEMENT
                                 or bool(_NUMBER_END.search(t)))
    words = t.lower().split()
    last = words[-1]
    open_np = len(words) >= 2 and words[-2] in _EN_DETERMINERS and last in _EN_ADJECTIVES  # "… of the new"
    return last in EN_OPENERS or last in _EN_END_BAD or open_np or bool(_EN_NUMBER_END.search(t))


def phrase_ends(text: str) -> list[int]:
    """Offsets in `text` where a headline may end: before a clause mark or a phrase-opening word, and at
    the end; never inside a word."""
    ends = [m.start() for m in re.finditer(r"\s*[，,；;：:—]", text)]
    if is_wide(text):
        head = subject(re.split(r"[，,；;]", text, maxsplit=1)[0])
        if head:
            ends.append(len(head))  # the subject, before its predicate
        pos, de_in_clause = 0, False
        for tok in cut(text):
            at = text.find(tok, pos)
            if at < 0:
                continue
            if at > 0 and tok in ZH_OPENERS and not (tok in _COORDINATORS and de_in_clause):
                ends.append(len(text[:at].rstrip()))  # not inside a noun phrase: "…编写的Transformer训练 | 与推理框架"
            de_in_clause = tok == "的" or de_in_clause and not any(c in "，,；;：:—" for c in text[pos : at + len(tok)])
            pos = at + len(tok)
    else:
        for m in re.finditer(r"\s+(\S+)", text):
            word = m.group(1).lower().strip("\"'“(")
            words = text[: m.start()].split()
            participle = _PARTICIPLE.fullmatch(word) and not EN_OPENERS.intersection(w.lower() for w in words[-2:])
            tail = [w.lower() for w in words[-2:]]  # "of the new | recently …": a noun phrase still open
            open_np = len(tail) == 2 and tail[0] in _EN_DETERMINERS and tail[1] in _EN_ADJECTIVES
            if not open_np and (word in EN_OPENERS or m.group(1)[0] in "—–-(" or participle
                                or word == "of" and len(words) >= 6):  # "takes advantage | of …", not "Library | of …"
                ends.append(m.start())
    ends.append(len(text))
    return sorted(set(ends))


def has_verb(text: str) -> bool:
    """Chinese: the text says what happened (a news verb, or 了 after a word)."""
    tokens = cut(text)
    return any(is_verb(t) for t in tokens[1:]) or "了" in tokens[1:]


def _words(text: str) -> list[tuple[int, str]]:
    """(offset, word) of the words of `text`."""
    out, pos = [], 0
    for tok in cut(text):
        at = text.find(tok, pos)
        if at >= 0:
            out.append((at, tok))
            pos = at + len(tok)
    return out


_AUX = frozenset("将 已 已经 正 正在 会 要 能 可 拟 还 也 均 都 仍 仍需 不断 即将 将会 或将 不 未 开始 继续".split())  # before a predicate


def is_verb(word: str) -> bool:
    """A news verb, alone or after an adverb jieba keeps with it ("共同开发")."""
    return word in VERBS or 3 <= len(word) <= 4 and word[-2:] in VERBS


def _verbs(words: list[tuple[int, str]]) -> list[int]:
    """Indexes of the news verbs that act as verbs: not inside a modifier (followed by 的), not a noun
    (just after 的: "…的结构化表示"), not part of the subject."""
    found = [i for i in range(1, len(words)) if is_verb(words[i][1])
             and (i + 1 >= len(words) or words[i + 1][1] != "的")
             and "的" not in (words[i - 1][1], words[i - 2][1] if i > 1 else "")]
    # an auxiliary after it before the next verb: it names the subject ("AI视频生成技术 | 正在通过提供…")
    return [i for n, i in enumerate(found)
            if not any(t in _AUX for _, t in words[i + 1 : found[n + 1] if n + 1 < len(found) else len(words)])]


def _verb(words: list[tuple[int, str]]) -> int | None:
    """The index of the clause's main verb: the first news verb after an auxiliary (将, 已 …), followed by
    了 or ending the clause, else
    the verb nearest before the clause's last 的 ("决定将不参加 | 9月举行的自民党总裁选举"), else the first;
    never one inside a modifier (followed by 的)."""
    verbs = _verbs(words)
    marked = [i for i in verbs if i + 1 >= len(words) or words[i + 1][1] in ("了", "着") or words[i - 1][1] in _AUX]
    return marked[0] if marked else verbs[0] if verbs else None


def object_heads(text: str) -> list[str]:
    """Chinese: `text` with its object shortened to a suffix (a noun phrase ends on its head): after
    its last 的 or a quantity, else (no 的 in it) the end of a compound; longest first. A "名称：说明"
    opening counts the name as the subject and the description as the object."""
    words = _words(text)
    verb, verbs = _verb(words), _verbs(words)
    colon = next((i for i, (_, t) in enumerate(words) if t in "：:"), None)
    if verb is None and colon is None:
        return []
    k = verb if verb is not None else colon
    cut_at = words[k][0] + len(words[k][1])
    rest = words[k + 1 :]
    if verb is not None and rest and rest[0][1] in ("了", "着", "出", "到", "为", "至"):
        cut_at, rest = rest[0][0] + 1, rest[1:]
    head, has_de = text[:cut_at], any(t == "的" for _, t in rest)
    last_de = max((i for i, (_, t) in enumerate(rest) if t == "的"), default=-1)  # in `rest`
    out, after_verb = [], []
    verb_ends = {words[j][0] + len(words[j][1]) for j in verbs}
    for i in range(1, len(rest)):
        tail = text[rest[i][0] :]
        short = len(tail) < 4 and not re.search(r"[A-Za-z]", tail) and (i - 1 != last_de or words[k][1] == "是")
        if rest[i][1] in ZH_FUNCTION or rest[i][1] in ("到", "至", "成") or short or not _paired(tail) or any(words[j][0] >= rest[i][0] for j in verbs):
            continue  # a head says what the thing is and holds no verb ("项目" after a name says nothing;
            # after a modifier with 的 it may: "打击…课程的 | 网红")
        after_number = _NUMBER_END.search(text[rest[0][0] : rest[i][0]]) and i - 1 > last_de
        if i - 1 == last_de or after_number or not has_de:
            out.append(head + tail)
        elif rest[i - 1][0] + len(rest[i - 1][1]) in verb_ends or rest[i - 1][1] in ("到", "至", "为", "成") \
                and rest[i - 2][0] + len(rest[i - 2][1]) in verb_ends:
            after_verb.append(head + tail)  # "是…移植到 | 树莓派OS的版本": what a clause in the object names
    return out + after_verb


def subject(text: str) -> str:
    """Chinese: the words before the clause's main verb (a noun phrase), or ""."""
    words = _words(text)
    verb = _verb(words)
    if verb is None:
        return ""
    cut_at = verb
    while cut_at > 1 and (words[cut_at - 1][1] in ZH_OPENERS or words[cut_at - 1][1] in _AUX):
        cut_at -= 1  # "AI视频生成技术 | 正在通过提供…"
    return text[: words[cut_at][0]].rstrip()


def subject_heads(text: str) -> list[str]:
    """Chinese: `text` with a shorter subject: its head after a modifier ending in 的, or the first of
    coordinated names and 等 ("北京大学、字节跳动和卡内基梅隆大学联合发布" -> "北京大学等联合发布")."""
    words = _words(text)
    verb = _verb(words)
    if verb is None:
        return []
    subject, rest = words[:verb], text[words[verb][0] :]
    out = []
    des = [i for i, (_, t) in enumerate(subject) if t == "的"]
    if des and des[-1] + 1 < len(subject):
        head = text[subject[des[-1] + 1][0] : words[verb][0]]
        if len(head.strip()) >= 2 and _paired(head) and head.strip()[0] not in "\"'“‘":
            out.append(head + rest)
    for i, (at, t) in enumerate(subject):
        if t in ("、", "和", "与", "及") and i >= 1:  # names, not a phrase: no preposition or number in the first
            first = text[:at]
            if len(first.strip()) >= 2 and not ZH_OPENERS.intersection(cut(first)) and not re.search(r"[\d的]", first):
                out.append(first + "等" + rest)
            break
    return out
