"""A page as a text browser shows it (lxml, no CSS): blocks on their own lines, images as their alt text
([alt]; a missing alt shows the file name, alt="" nothing, as the HTML standard asks), links as their
words. What listeners in a text browser or a screen reader meet (issue 30)."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import urlsplit

from lxml import html as lxml_html

BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
          "footer", "nav", "main", "table", "tr", "td", "th", "details", "summary", "form", "figure", "br", "hr",
          "blockquote", "body", "dt", "dd"}
SKIP = {"script", "style", "head", "title", "noscript", "template"}


def _tokens(html: str):
    """("text", s) | ("open",) | ("close", words) | ("block",) in document order."""
    root = lxml_html.fromstring(html)
    out: list[tuple] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in SKIP:
            pass
        else:
            if tag in BLOCKS:
                out.append(("block",))
            if tag == "img":
                alt = el.get("alt")
                name = urlsplit(el.get("src", "")).path.rsplit("/", 1)[-1]
                shown = f"[{alt.strip()}]" if alt and alt.strip() else ("" if alt is not None else f"[{name}]")
                if shown:
                    out.append(("text", shown))
            if tag == "a":
                out.append(("open",))
            if el.text:
                out.append(("text", el.text))
            for child in el:
                walk(child)
            if tag == "a":
                out.append(("close", el.text_content().strip()))
            if tag in BLOCKS:
                out.append(("block",))
        if el.tail:
            out.append(("text", el.tail))

    walk(root)
    return out


def text_of(html: str) -> str:
    parts: list[str] = []
    for tok in _tokens(html):
        if tok[0] == "text":
            parts.append(tok[1])
        elif tok[0] == "block":
            parts.append("\n")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def links_running_together(html: str) -> list[str]:
    """Neighbouring links with nothing between them ("文字稿下载 MP3", "0:03MM1"): the first one's words each time."""
    found, last, between = [], None, None
    for tok in _tokens(html):
        if tok[0] == "close":
            last, between = tok[1], ""
        elif tok[0] == "open":
            if last is not None and between == "":
                found.append(f"{last}|")
            last = None
        elif tok[0] == "block":
            last = None
        elif tok[0] == "text" and last is not None:
            between += tok[1]
            if between.strip() or between != between.lstrip():  # a space or a separator keeps them apart
                last = None
    return found


# ---- a real text browser: w3m (Debian's w3m, installed by .ci/run) -----------------------------------------

W3M = "/usr/bin/w3m"


def w3m_dump(html: str, cols: int = 80) -> str:
    """The page as w3m shows it: w3m knows no CSS, no `hidden`, and not header/nav/main as blocks; it shows an
    image without alt text, or with alt="", as its file name ("[cover]")."""
    done = subprocess.run([W3M, "-dump", "-cols", str(cols), "-T", "text/html", "-I", "UTF-8", "-O", "UTF-8"],
                          input=html.encode("utf-8"), capture_output=True, timeout=60, check=True)
    return done.stdout.decode("utf-8")


def glued_links(html: str, dump: str) -> list[str]:
    """Neighbouring links (in document order) whose words w3m draws with nothing between them."""
    words = [" ".join(a.text_content().split()) for a in lxml_html.fromstring(html).iter("a")]
    lines = dump.splitlines()
    found = []
    for first, second in zip(words, words[1:]):
        if first and second and any(first[-6:] + second[:6] in line for line in lines):
            found.append(f"{first}|{second}")
    return found


def file_names_shown(html: str, dump: str) -> list[str]:
    """Content images (class "im": a story's, a section's) whose file name w3m shows in place of words.
    Decoration (a cover beside the show's name) has alt="" as WCAG asks; w3m shows its name all the same."""
    names = {urlsplit(i.get("src", "")).path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
             for i in lxml_html.fromstring(html).iter("img") if "im" in (i.get("class") or "").split()}
    return sorted(n for n in names if n and f"[{n}]" in dump)
