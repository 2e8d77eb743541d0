"""Display text (markdown subset) -> speech text (plain, speakable)."""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_HTML = re.compile(r"<[^>]+>")
_EMPH = re.compile(r"(\*\*|__|\*|`)")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.M)
_LINK_WORDS = re.compile(r"^(链接|报道详情|原文|来源|link|source)$", re.I)
_END = "。！？!?.;；…"


def to_speech_text(display: str) -> str:
    text = _IMAGE.sub("", display)
    text = _LINK.sub(lambda m: "" if _LINK_WORDS.match(m.group(1).strip()) else m.group(1), text)
    text = _URL.sub("", text)
    text = _HTML.sub("", text)
    text = _EMPH.sub("", text)
    text = _EMOJI.sub("", text)
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    text = re.sub(r"^>\s?", "", text, flags=re.M)
    lines = []
    for line in text.split("\n"):
        bullet = bool(_BULLET.match(line))
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        if bullet and line[-1] not in _END:
            line += "。" if re.search(r"[\u4e00-\u9fff]", line) else "."
        lines.append(line)
    out = ""
    for line in lines:
        if out and out[-1] not in _END and not out.endswith(("：", ":")):
            out += "。" if re.search(r"[\u4e00-\u9fff]", out[-1]) else ". "
        elif out and not re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", out[-1]):
            out += " "
        out += line
    return re.sub(r"[ \t]+", " ", out).strip()
