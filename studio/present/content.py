"""An item's display markdown as email-safe HTML and as wrapped plain text.

Only absolute https URLs survive (http is upgraded, `//host` gets https:);
`javascript:`, `data:`, relative and other links are dropped, keeping their text.
"""

from __future__ import annotations

import functools
import re
from html import escape, unescape
from urllib.parse import urlsplit

from studio.core.lazy import lazy_pattern
from studio.core.links import CONTROL as _CONTROL
from studio.core.links import https_link
from studio.ingest.textwidth import width


def one_line(text: str) -> str:
    """Text for a header or a single line: control characters and runs of space become one space."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", text or "")).strip()


@functools.cache
def _md():
    from markdown_it import MarkdownIt  # lazy: markdown-it loads only when display text is rendered

    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})
    md.validateLink = lambda url: True  # every link becomes a token; https_link() decides
    return md


_BARE_URL = lazy_pattern(r"https?://[^\s<>\"'（）【】《》，。、；：！？]+[^\s<>\"'（）【】《》，。、；：！？.,;:!?)\]]")


def _same(text: str) -> str:
    return text


def _linkify(text: str, polish=_same) -> str:
    """Escaped (and polished) text with bare http(s) URLs linked, each shown as its site's name:
    a URL is no reading matter, and a long one would make a phone's page scroll sideways."""
    out, pos = [], 0
    for m in _BARE_URL.finditer(text):
        out.append(escape(polish(text[pos:m.start()]), quote=False))
        url = https_link(m.group())
        out.append(f'<a href="{escape(url)}">{escape(site_name(url))}</a>' if url else escape(m.group(), quote=False))
        pos = m.end()
    out.append(escape(polish(text[pos:]), quote=False))
    return "".join(out)


def looks_like_url(text: str) -> bool:
    return bool(re.match(r"(?i)^(https?://|www\.)\S+$", one_line(text)))


_IMG_NAME = lazy_pattern(r"(?i)^[\w.-]*\.(jpe?g|png|gif|webp|svg)$")


def image_alt(alt: str, subject: str) -> str:
    """Alt text worth reading: the script's own, or (when it gave none, or a file name) what the image
    illustrates, `subject` (the story's title, the section's name): a text browser or a screen reader
    then never reads out "topnews1.jpeg"."""
    alt = one_line(alt)
    return one_line(subject) if not alt or _IMG_NAME.match(alt) else alt


# Link texts that say nothing ("链接", "here"): such a link leaves the sentence and is listed
# under the item as a source named after its site.
GENERIC_LABELS = {"链接", "连结", "原文", "原文链接", "来源", "详情", "点此", "这里", "阅读原文", "查看", "更多",
                  "link", "links", "here", "source", "more", "read more", "this", "url"}


def is_generic(label: str) -> bool:
    return one_line(label).strip("[]()（）【】:：→»›>↗ ").lower() in GENERIC_LABELS


def site_name(url: str) -> str:
    """A link's site as readers know it: the host without `www.`/`m.` (e.g. `theverge.com`)."""
    host = (urlsplit(url if "://" in url else "https://" + url).hostname or url).lower()
    for prefix in ("www.", "m.", "mobile."):
        host = host.removeprefix(prefix)
    return host


def source_label(url: str, label: str) -> str:
    label = one_line(label)
    return site_name(url) if not label or is_generic(label) or label == url else label


def item_html(text: str, title: str, skip_image: str | None = None, moved: list[str] | None = None,
              size: tuple[int, int | None] = (544, None), polish=_same) -> str:
    """Display markdown -> HTML with only https links and images (images get alt text).

    Links with a generic text ("链接") are left out of the sentence; their URLs go to `moved`.
    A link whose text is a URL shows its site's name. `polish` is applied to the words (typography).
    """
    md = _md()
    tokens = md.parse(text or "")
    out: list[str] = []
    for tok in tokens:
        if tok.type == "inline":
            out.append(_inline_html(tok.children or [], title, skip_image, moved, size, polish))
        elif tok.type == "fence" or tok.type == "code_block":
            out.append(f"<p>{escape(tok.content.rstrip()).replace(chr(10), '<br>')}</p>")
        elif tok.type == "hr":
            continue
        elif tok.type.startswith("heading"):
            out.append("<p><b>" if tok.nesting == 1 else "</b></p>")
        elif tok.type in ("paragraph_open", "paragraph_close"):
            if not tok.hidden:
                out.append("<p>" if tok.nesting == 1 else "</p>")
        elif tok.nesting != 0 and tok.tag in ("ul", "ol", "li", "blockquote"):
            out.append(f"<{tok.tag}>" if tok.nesting == 1 else f"</{tok.tag}>")
    html = "".join(out)
    return re.sub(r"<(p|li)>\s*</\1>", "", html)


def _link_text(children, i: int) -> str:
    """The plain text of the link opened at children[i]."""
    depth, text = 0, []
    for t in children[i:]:
        depth += {"link_open": 1, "link_close": -1}.get(t.type, 0)
        if depth == 0:
            break
        text.append(t.content if t.type in ("text", "code_inline") else "")
    return "".join(text)


def _inline_html(children, title: str, skip_image: str | None, moved: list[str] | None, size, polish=_same) -> str:
    out: list[str] = []
    open_links: list[bool] = []
    skipping = 0
    for i, t in enumerate(children):
        if skipping:
            skipping += {"link_open": 1, "link_close": -1}.get(t.type, 0)
            continue
        if t.type == "link_open" and moved is not None and is_generic(_link_text(children, i)):
            url = https_link(t.attrGet("href"))
            if url:
                moved.append(url)
                skipping = 1
                continue
        if t.type == "link_open" and looks_like_url(_link_text(children, i)):  # <https://…>: the site's name
            url = https_link(t.attrGet("href"))
            shown = escape(site_name(url or _link_text(children, i)))
            out.append(f'<a href="{escape(url)}">{shown}</a>' if url else shown)
            skipping = 1
            continue
        if t.type == "text":
            out.append(escape(polish(t.content), quote=False) if open_links else _linkify(t.content, polish))
        elif t.type == "code_inline":
            out.append(f"<code>{escape(t.content, quote=False)}</code>")
        elif t.type in ("softbreak", "hardbreak"):
            out.append("<br>")
        elif t.type == "link_open":
            url = https_link(t.attrGet("href"))
            open_links.append(url is not None)
            if url:
                out.append(f'<a href="{escape(url)}">')
        elif t.type == "link_close":
            if open_links.pop():
                out.append("</a>")
        elif t.type in ("strong_open", "strong_close", "em_open", "em_close"):
            tag = "b" if t.tag == "strong" else "i"
            out.append(f"<{tag}>" if t.nesting == 1 else f"</{tag}>")
        elif t.type == "image":
            src = https_link(t.attrGet("src"))
            if src and t.attrGet("src") != skip_image:
                out.append(image_tag(src, image_alt(t.content, title), *size))
    return "".join(out).rstrip()


def image_tag(src: str, alt: str, width: int = 544, height: int | None = None) -> str:
    size = f' width="{width}"' + (f' height="{height}"' if height else "")
    return f'<img src="{escape(src)}" alt="{escape(alt)}"{size} class="im">'


def linked_urls(html: str) -> set[str]:
    return {unescape(u) for u in re.findall(r'href="([^"]*)"', html)}


# ---- plain text ---------------------------------------------------------------------------

def item_text(text: str) -> str:
    """Display markdown -> plain text: paragraphs, "- " list items, links as "label <url>"."""
    tokens = _md().parse(text or "")
    blocks: list[str] = []
    prefix: list[str] = []
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            prefix.append("- ")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            prefix.pop()
        elif tok.type == "inline":
            line = _inline_text(tok.children or [])
            if line.strip():
                blocks.append(("  " * (len(prefix) - 1) + prefix[-1] if prefix else "") + line.strip())
        elif tok.type in ("fence", "code_block"):
            blocks.append(tok.content.rstrip())
    return "\n\n".join(blocks)


def _inline_text(children) -> str:
    out: list[str] = []
    links: list[tuple[str | None, int]] = []
    for t in children:
        if t.type in ("text", "code_inline"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif t.type == "link_open":
            links.append((https_link(t.attrGet("href")), len(out)))
        elif t.type == "link_close":
            url, start = links.pop()
            label = "".join(out[start:]).strip()
            if url and is_generic(label):  # "链接": listed under the item as a source, as in the HTML
                del out[start:]
                if out:
                    out[-1] = out[-1].rstrip(" ")
            elif url and label != url:
                out.append(f" <{url}>")
            elif url and not label:
                out.append(url)
    return "".join(out)


_NO_LINE_START = set("，。、；：！？）》」』】〉”’,.;:!?)]}…%")
_TOKEN = lazy_pattern(r"<?https?://\S+|[!-\u10ff]+|\s+|.", re.S)


def wrap(text: str, columns: int = 72) -> str:
    """Wrap to `columns` display columns (CJK counts 2); URLs are never broken."""
    lines: list[str] = []
    for para in (text or "").split("\n"):
        lines.extend(_wrap_line(para.rstrip(), columns))
    return "\n".join(lines)


def _wrap_line(line: str, columns: int) -> list[str]:
    if not line:
        return [""]
    indent = re.match(r"(\s*(?:- |\d+\. )?)", line).group(1)
    hang = " " * len(indent)
    out: list[str] = []
    cur, cur_w = "", 0
    for tok in _TOKEN.findall(line):
        w = sum(width(c) for c in tok)
        if tok.isspace():
            if cur and cur_w + w <= columns:
                cur, cur_w = cur + " ", cur_w + 1
            continue
        if cur_w + w > columns and cur.strip():
            carry = ""
            if tok[0] in _NO_LINE_START and len(cur.strip()) > 1 and not cur[-1].isspace():
                cur, carry = cur[:-1], cur[-1]  # closing punctuation never starts a line
            out.append(cur.rstrip())
            cur = hang + carry
            cur_w = sum(width(c) for c in cur)
        cur, cur_w = cur + tok, cur_w + w
    if cur.strip():
        out.append(cur.rstrip())
    return out
