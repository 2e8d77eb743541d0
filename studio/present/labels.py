"""The words and numbers around an episode: labels in the show's language, dates, clock times.

One style everywhere a reader looks (email, pages, list pages): a date is written out
("2024年3月27日", "March 27, 2024"), never as digits that could pass for a time of day,
and a duration always says it is one ("时长 11:08", "Duration 11:08").
"""

from __future__ import annotations

import datetime as dt

from studio.core.config import Show
from studio.core.timeline import length_seconds

LABELS = {
    "zh": {
        "listen_full": "▶ 收听完整节目", "listen_at": "▶ 收听 {t}", "at": "节目中", "sources": "来源", "source_line": "来源：{url}",
        "web": "网页版", "feed": "订阅播客", "unsubscribe": "退订", "number": "第 {n} 期",
        "read_all": "在网页上阅读全部 {n} 条 →", "shortened": "本期共 {n} 条，邮件里是前 {shown} 条。",
        "why": "你收到这封邮件，是因为你订阅了《{show}》。", "date": "{y}年{m}月{d}日",
        "duration": "时长 {t}", "list": "快讯", "sep": " · ",
        # the site
        "home": "首页", "archive": "全部节目", "archive_title": "全部 {n} 期节目", "subscribe": "订阅",
        "subscribe_title": "订阅节目", "apps": "在播客应用中收听", "rss": "RSS 地址", "copy_button": "复制",
        "copied": "已复制", "email_signup": "用邮箱订阅", "email_field": "电子邮箱", "honeypot": "网站（请留空）",
        "email_placeholder": "你的邮箱，每期节目发到信箱", "signup": "邮件订阅", "transcript": "文字稿",
        "chapters": "章节", "chapters_n": "章节（{n}）", "downloads": "下载：", "mp3": "MP3 音频",
        "play": "播放", "pause": "暂停", "back": "后退 15 秒", "forward": "前进 15 秒", "speed": "播放速度",
        "seek": "播放进度", "play_episode": "▶ 播放", "notes": "本期内容", "no_episodes": "还没有节目。",
        "all_episodes": "全部 {n} 期节目 →", "transcript_hint": "点任意一句，从那里开始播放。",
        "back_to": "← {title}", "player": "播放器", "latest": "最新节目",
        # what show templates copied before these labels used
        "listen_item": "▶ 收听本条", "minutes": "时长 {t}", "long": "本期内容较长，完整内容请看网页版。",
        "more": "还有 {n} 条，请看网页版。",
    },
    "en": {
        "listen_full": "▶ Listen to the full episode", "listen_at": "▶ Listen {t}", "at": "in the episode at",
        "sources": "Source", "source_line": "Source: {url}", "web": "Web version", "feed": "Podcast feed", "unsubscribe": "Unsubscribe",
        "number": "No. {n}", "read_all": "Read all {n} stories on the web →",
        "shortened": "This issue has {n} stories; the email shows the first {shown}.",
        "why": "You get this email because you subscribed to {show}.",
        "date": "{month} {d}, {y}", "duration": "Duration {t}", "list": "In brief", "sep": " · ",
        "home": "Home", "archive": "All episodes", "archive_title": "All {n} episodes", "subscribe": "Subscribe",
        "subscribe_title": "Subscribe", "apps": "Listen in a podcast app", "rss": "RSS feed",
        "copy_button": "Copy", "copied": "Copied", "email_signup": "Get it by email", "email_field": "Email address", "honeypot": "Website (leave empty)",
        "email_placeholder": "Your email: every episode in your inbox", "signup": "Subscribe",
        "transcript": "Transcript", "chapters": "Chapters", "chapters_n": "Chapters ({n})", "downloads": "Downloads: ",
        "mp3": "MP3 audio", "play": "Play", "pause": "Pause", "back": "Back 15 seconds",
        "forward": "Forward 15 seconds", "speed": "Playback speed", "seek": "Position", "play_episode": "▶ Play",
        "notes": "In this episode", "no_episodes": "No episodes yet.", "all_episodes": "All {n} episodes →",
        "transcript_hint": "Tap any sentence to play from there.", "back_to": "← {title}", "player": "Player",
        "latest": "Latest episodes",
        "listen_item": "▶ Listen", "minutes": "Duration {t}", "long": "This issue is long: the web version has it all.",
        "more": "{n} more items in the web version.",
    },
}


def labels_for(show: Show) -> dict[str, str]:
    return LABELS["zh" if is_chinese(show) else "en"]


def is_chinese(show: Show) -> bool:
    return show.language.lower().startswith("zh")


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


def duration_text(ms: float, labels: dict[str, str]) -> str:
    """A duration as readers see it, labelled as one ("时长 11:08")."""
    return labels["duration"].format(t=length(ms))


def episode_meta(labels: dict[str, str], number: int | None, date: str | dt.date | None,
                 duration_ms: float | None = None) -> str:
    """The eyebrow line of an episode: "第 2 期 · 2024年3月27日 · 时长 9:38" (parts that are known)."""
    parts = [labels["number"].format(n=number)] if number is not None and number != "" else []
    if date:
        parts.append(format_date(date, labels))
    if duration_ms:
        parts.append(duration_text(duration_ms, labels))
    return labels["sep"].join(parts)
