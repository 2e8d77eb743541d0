"""The words and numbers around an episode: labels in the show's language, dates, clock times."""

from __future__ import annotations

import datetime as dt

from studio.core.config import Show
from studio.core.timeline import length_seconds

LABELS = {
    "zh": {
        "listen_full": "▶ 收听完整节目", "listen_item": "▶ 收听本条", "at": "节目中", "sources": "来源",
        "web": "网页版", "feed": "订阅播客", "unsubscribe": "退订", "number": "第 {n} 期",
        "long": "本期内容较长，邮件中为摘要，完整内容请看网页版。", "more": "还有 {n} 条，请看网页版。",
        "why": "你收到这封邮件，是因为你订阅了《{show}》。", "date": "{y}年{m}月{d}日",
        "minutes": "时长 {t}", "list": "快讯",
    },
    "en": {
        "listen_full": "▶ Listen to the full episode", "listen_item": "▶ Listen", "at": "in the episode at",
        "sources": "Source", "web": "Web version", "feed": "Podcast feed", "unsubscribe": "Unsubscribe",
        "number": "No. {n}", "long": "This issue is long: here are excerpts, the web version has it all.",
        "more": "{n} more items in the web version.", "why": "You get this email because you subscribed to {show}.",
        "date": "{month} {d}, {y}", "minutes": "{t} long", "list": "In brief",
    },
}


def labels_for(show: Show) -> dict[str, str]:
    return LABELS["zh" if show.language.lower().startswith("zh") else "en"]


def format_date(value: str | dt.date, labels: dict[str, str]) -> str:
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return labels["date"].format(y=d.year, m=d.month, d=d.day, month=d.strftime("%B"))


def clock(ms: float) -> str:
    """A time in the episode or a duration: m:ss, or h:mm:ss from an hour on."""
    s = int(ms // 1000)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def length(duration_ms: float) -> str:
    """The episode's length as `clock` shows it, in whole seconds as the feed's itunes:duration has it."""
    return clock(length_seconds(duration_ms) * 1000)
