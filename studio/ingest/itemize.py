"""Build an Item from a title and display text; shared by the structured readers."""

from __future__ import annotations

from studio.core.model import Item, Link
from studio.ingest.mdblocks import links_in
from studio.ingest.speech_text import to_speech_text
from studio.ingest.typography import display_text


def make_item(
    title: str,
    text: str,
    *,
    section: str = "",
    image: str | None = None,
    links: list[Link] | None = None,
    kind: str = "story",
    speak_title: bool = True,
) -> Item:
    """`speak_title`: the title is the source's own heading, so the listener hears it too."""
    text = text.strip()
    found = links if links is not None else links_in(text)
    body = to_speech_text(text)
    spoken_title = to_speech_text(title) if speak_title else ""
    if spoken_title and body:
        end = "" if spoken_title[-1] in "。！？!?.…" else ("。" if _wide(spoken_title) else ". ")
        speech = f"{spoken_title}{end}{body}"
    else:
        speech = spoken_title or body
    return Item(title=display_text(title.strip()), text=display_text(text), speech_text=speech.strip(), section=section,
                links=found, image=image, kind=kind)


def _wide(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)
