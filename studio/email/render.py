"""Render an episode's email (HTML + plain text) from jinja2 templates.

The HTML goes through css-inline: rules from the template's <style> become
inline styles, only @media rules (mobile, dark mode) stay in one <style>.
When the HTML would be over `email.max_html_kb` (Gmail clips at ~102 KB), item
texts are shortened to excerpts step by step, then items are cut, each time
pointing readers to the web version; the plain-text part always has everything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from studio import urls
from studio.config import Show
from studio.email import content
from studio.errors import StudioError
from studio.templating import environment

# Excerpt lengths (display columns) tried in turn when the HTML is too big; None = full text.
EXCERPTS = (None, 400, 200, 100, 50, 0)

LABELS = {
    "zh": {
        "listen_full": "▶ 收听完整节目", "listen_item": "▶ 收听本条", "at": "节目中", "sources": "来源",
        "web": "网页版", "feed": "订阅播客", "unsubscribe": "退订", "number": "第 {n} 期",
        "long": "本期内容较长，邮件中为摘要，完整内容请看网页版。", "more": "还有 {n} 条，请看网页版。",
        "why": "你收到这封邮件，是因为你订阅了《{show}》。", "date": "{y}年{m}月{d}日",
    },
    "en": {
        "listen_full": "▶ Listen to the full episode", "listen_item": "▶ Listen", "at": "in the episode at",
        "sources": "Source", "web": "Web version", "feed": "Podcast feed", "unsubscribe": "Unsubscribe",
        "number": "No. {n}", "long": "This issue is long: here are excerpts, the web version has it all.",
        "more": "{n} more items in the web version.", "why": "You get this email because you subscribed to {show}.",
        "date": "{month} {d}, {y}",
    },
}


@dataclass
class EmailParts:
    html: str
    text: str
    subject: str = ""
    excerpt: int | None = None  # None: full texts; else the excerpt length that made it fit
    items_shown: int = 0


def labels_for(show: Show) -> dict[str, str]:
    return LABELS["zh" if show.language.lower().startswith("zh") else "en"]


def format_date(value: str | dt.date, labels: dict[str, str]) -> str:
    d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return labels["date"].format(y=d.year, m=d.month, d=d.day, month=d.strftime("%B"))


def subject_for(show: Show, episode: dict[str, Any]) -> str:
    number = episode.get("number")
    subject = show.email.subject.format(
        title=episode["title"], show=show.title, number="" if number is None else number, date=str(episode["date"])[:10]
    )
    return content.one_line(subject)


def preheader_for(episode: dict[str, Any], items: list[dict[str, Any]]) -> str:
    text = content.one_line(episode.get("summary") or " · ".join(content.one_line(i["title"]) for i in items[:6]))
    return text if len(text) <= 140 else text[:139].rstrip() + "…"


def _excerpt(text: str, columns: int) -> str:
    flat = content.one_line(text)
    out, used = [], 0
    for ch in flat:
        used += content.width(ch)
        if used > columns:
            return "".join(out).rstrip() + "…"
        out.append(ch)
    return flat


def email_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items with what the templates need, every URL checked and every text made safe."""
    from markupsafe import Markup

    out = []
    for it in items:
        title = content.one_line(it["title"]) or f"#{it['n']}"
        image = content.safe_url(it.get("image"))
        html = content.item_html(it.get("text", ""), title, skip_image=it.get("image") if image else None)
        inline = content.linked_urls(html)
        sources, seen = [], set()
        for link in it.get("links", []):
            url = content.safe_url(link.get("url"))
            if url and url not in inline and url not in seen:
                seen.add(url)
                sources.append({"url": url, "label": content.one_line(link.get("label", "")) or url})
        plain = content.item_text(it.get("text", ""))
        out.append(dict(
            it,
            title=title,
            email_html=Markup(html),
            image_url=image,
            image_alt=content.image_alt("", title),
            sources=sources,
            plain=content.wrap(plain, 72),
            flat=plain,
            # clip_url and page_url are the show's own (from base_url), not the script's: kept as they are
        ))
    return out


def _inliner():
    import css_inline

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False, keep_link_tags=False, minify_css=True)


def _finish_html(html: str) -> str:
    html = _inliner().inline(html)
    html = re.sub(r"\n\s*\n+", "\n", html)
    return html


def render_email(show: Show, context: dict[str, Any], unsubscribe_url: str | None = None) -> EmailParts:
    """The HTML and text parts. `unsubscribe_url` defaults to the show's generic one."""
    import jinja2

    try:
        return _render_email(show, context, unsubscribe_url)
    except jinja2.TemplateSyntaxError as e:
        raise StudioError(f"email template: {e.message}", e.filename or e.name, e.lineno) from None
    except jinja2.TemplateError as e:
        raise StudioError(f"email template: {e}", show.path("templates")) from None


def _render_email(show: Show, context: dict[str, Any], unsubscribe_url: str | None) -> EmailParts:
    env = environment(show)
    env.filters["wrap"] = content.wrap
    labels = labels_for(show)
    episode = context["episode"]
    items = email_items(context["items"])
    ctx = dict(
        context,
        items=items,
        labels=labels,
        subject=subject_for(show, episode),
        preheader=preheader_for(episode, items),
        date_text=format_date(episode["date"], labels),
        web_url=urls.episode_file(show, episode["slug"], "email.html"),
        unsubscribe_url=unsubscribe_url if unsubscribe_url is not None else generic_unsubscribe_url(show),
        show_title=content.one_line(show.title),
        excerpt=None,
        hidden=0,
    )
    text = env.get_template("email.txt.j2").render(**ctx)
    html_tpl = env.get_template("email.html.j2")
    limit = show.email.max_html_kb * 1000
    html = ""
    for excerpt in EXCERPTS:
        html = _render_html(html_tpl, ctx, items, excerpt, len(items))
        if len(html.encode("utf-8")) <= limit:
            return EmailParts(html, text, ctx["subject"], excerpt, len(items))
    lo, hi = 0, len(items)  # still too big with titles only: show fewer items
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_render_html(html_tpl, ctx, items, 0, mid).encode("utf-8")) <= limit:
            lo = mid
        else:
            hi = mid - 1
    html = _render_html(html_tpl, ctx, items, 0, lo)
    return EmailParts(html, text, ctx["subject"], 0, lo)


def _render_html(tpl, ctx: dict[str, Any], items: list[dict[str, Any]], excerpt: int | None, count: int) -> str:
    shown = items[:count]
    if excerpt is not None:
        shown = [dict(it, excerpt_text=_excerpt(it["flat"], excerpt)) for it in shown]
    return _finish_html(tpl.render(**dict(ctx, items=shown, excerpt=excerpt, hidden=len(items) - count)))


def generic_unsubscribe_url(show: Show) -> str:
    """The unsubscribe link of the built (not personalised) email: the endpoint, or a mailto."""
    if show.email.unsubscribe_url:
        return show.email.unsubscribe_url
    return "mailto:" + unsubscribe_mailbox(show) + "?subject=unsubscribe"


def unsubscribe_mailbox(show: Show) -> str:
    return (show.email.unsubscribe_mailto.removeprefix("mailto:").split("?")[0]
            or show.email.from_address or show.owner_email)
