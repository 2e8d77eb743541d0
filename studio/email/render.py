"""Render an episode's email (HTML + plain text) from jinja2 templates.

The HTML goes through css-inline: rules from the template's <style> become
inline styles, only @media rules (mobile, dark mode) stay in one <style>.
When the HTML would be over `email.max_html_kb` (Gmail clips at ~102 KB), it shows
as many of the first stories as fit, in full, then one "read all" button to the
episode page; the plain-text part always has everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from studio.core import urls
from studio.core.config import Show
from studio.core.errors import StudioError
from studio.present import cjk, content, palette
from studio.present.items import display_items, sections
from studio.present.labels import duration_text, episode_meta, format_date, is_chinese, labels_for
from studio.present.templating import environment

ICON = "icon-180.png"  # the cover as a small square, written next to feed.xml (studio.feed.site.write_icons)
# An email over its budget shows only its first stories: those that fit in this share of the budget, so the
# "read all" button comes after a screenful or two of reading, not after a whole budget's worth of scrolling.
SHORTENED_SHARE = 0.5


@dataclass
class EmailParts:
    html: str
    text: str
    subject: str = ""
    items_shown: int = 0  # the first items_shown items are in the HTML, in full
    items_total: int = 0

    @property
    def shortened(self) -> bool:
        """Over the size budget: the HTML shows the first stories and a button to the rest."""
        return self.items_shown < self.items_total


def subject_for(show: Show, episode: dict[str, Any]) -> str:
    number = episode.get("number")
    subject = show.email.subject.format(
        title=episode["title"], show=show.title, number="" if number is None else number, date=str(episode["date"])[:10]
    )
    return content.one_line(subject)


def preheader_for(episode: dict[str, Any], items: list[dict[str, Any]]) -> str:
    text = content.one_line(episode.get("summary") or " · ".join(content.one_line(i["title"]) for i in items[:6]))
    return text if len(text) <= 140 else text[:139].rstrip() + "…"


def _inliner():
    import css_inline  # lazy: css-inline loads only when an email is rendered

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False, keep_link_tags=False, minify_css=True)


def _finish_html(html: str, client_css: str = "") -> str:
    """CSS inlined; then the rules for Outlook.com and Gmail (which inlining would drop) go into the head."""
    html = _inliner().inline(html)
    html = re.sub(r"\n\s*\n+", "\n", html)
    if client_css:
        html = html.replace("</head>", f"<style>{client_css}</style></head>", 1)
    return html


def render_email(show: Show, context: dict[str, Any], unsubscribe_url: str | None = None) -> EmailParts:
    """The HTML and text parts. `unsubscribe_url` defaults to the show's generic one."""
    import jinja2  # lazy: jinja2 loads only when a template is rendered

    try:
        return _render_email(show, context, unsubscribe_url)
    except jinja2.TemplateSyntaxError as e:
        raise StudioError(f"email template: {e.message}", e.filename or e.name, e.lineno) from None
    except jinja2.TemplateError as e:
        raise StudioError(f"email template: {e}", show.path("templates")) from None


def template_context(show: Show, context: dict[str, Any], unsubscribe_url: str | None = None) -> dict[str, Any]:
    """What the email templates get, from an episode's page context."""
    labels = labels_for(show)
    episode = context["episode"]
    chinese = is_chinese(show)
    polish = cjk.punctuate if chinese else (lambda text: text)
    items = display_items(context["items"], chinese=chinese)
    return dict(
        context,
        items=items,
        labels=labels,
        subject=subject_for(show, episode),
        preheader=preheader_for(episode, items),
        episode_title=polish(content.one_line(episode["title"])),
        episode_summary=polish(content.one_line(episode.get("summary") or "")),
        meta_text=episode_meta(labels, episode.get("number"), episode["date"]),
        duration_text=duration_text(episode.get("duration_ms") or 0, labels),
        web_url=urls.episode_file(show, episode["slug"], "email.html"),
        unsubscribe_url=unsubscribe_url if unsubscribe_url is not None else generic_unsubscribe_url(show),
        show_title=content.one_line(show.title),
        colors=palette.palette(show.email.accent),
        fonts=cjk.fonts_for(chinese),
        icon_url=urls.absolute(show, ICON),
        postal_address=content.one_line(show.email.postal_address),
        sections=sections(items, episode.get("section_images")),
        hidden=0,
        total=len(items),
        date_text=format_date(episode["date"], labels), excerpt=None,  # what show templates copied earlier use
    )


def _render_email(show: Show, context: dict[str, Any], unsubscribe_url: str | None) -> EmailParts:
    env = environment(show)
    env.filters["wrap"] = content.wrap
    ctx = template_context(show, context, unsubscribe_url)
    items = ctx["items"]
    ctx["client_css"] = env.get_template("email_clients.css.j2").render(**ctx).strip()
    text = env.get_template("email.txt.j2").render(**ctx)
    html_tpl = env.get_template("email.html.j2")
    limit = show.email.max_html_kb * 1000

    def fits(count: int, budget: float) -> str | None:
        html = _render_html(html_tpl, ctx, items, count)
        return html if len(html.encode("utf-8")) <= budget else None

    html = fits(len(items), limit)
    if html is not None:
        return EmailParts(html, text, ctx["subject"], len(items), len(items))
    lo, hi = 0, len(items) - 1  # the most first stories that fit, in full, with the "read all" button
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid, limit * SHORTENED_SHARE) is not None:
            lo = mid
        else:
            hi = mid - 1
    return EmailParts(_render_html(html_tpl, ctx, items, lo), text, ctx["subject"], lo, len(items))


def _render_html(tpl, ctx: dict[str, Any], items: list[dict[str, Any]], count: int) -> str:
    shown = items[:count]
    grouped = sections(shown, ctx["episode"].get("section_images"))
    html = tpl.render(**dict(ctx, items=shown, sections=grouped, hidden=len(items) - count))
    return _finish_html(html, ctx["client_css"])


def generic_unsubscribe_url(show: Show) -> str:
    """The unsubscribe link of the built (not personalised) email: the endpoint, or a mailto."""
    if show.unsubscribe_url:
        return show.unsubscribe_url
    return "mailto:" + unsubscribe_mailbox(show) + "?subject=unsubscribe"


def unsubscribe_mailbox(show: Show) -> str:
    return (show.email.unsubscribe_mailto.removeprefix("mailto:").split("?")[0]
            or show.email.from_address or show.owner_email)
