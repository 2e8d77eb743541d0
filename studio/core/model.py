"""The data model that flows through every stage: Episode -> Items."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Link:
    url: str
    label: str = ""


@dataclass
class Item:
    """One story of an episode: one clip, one chapter, one email block."""

    title: str
    text: str  # display text: a small markdown subset (links, emphasis, line breaks)
    speech_text: str  # plain text for TTS: no URLs, markup or footnote numbers
    section: str = ""
    links: list[Link] = field(default_factory=list)
    image: str | None = None
    kind: str = "story"  # "intro" | "story" | "outro"
    voice: str | None = None  # per-item voice override
    show_heading: bool = True  # False: a bullet item without a heading, listed under its section

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Item":
        d = dict(d)
        d["links"] = [Link(**link) for link in d.get("links", [])]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class Episode:
    slug: str
    title: str
    date: dt.date
    items: list[Item]
    number: int | None = None
    summary: str = ""
    sections: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    season: int | None = None
    format: str = ""  # which reader produced it
    source: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # other front matter (voices, audio...)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "date": self.date.isoformat(),
            "number": self.number,
            "season": self.season,
            "summary": self.summary,
            "sections": list(self.sections),
            "tags": list(self.tags),
            "image": self.image,
            "format": self.format,
            "items": [it.to_dict() for it in self.items],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Episode":
        return cls(
            slug=d["slug"],
            title=d["title"],
            date=dt.date.fromisoformat(d["date"][:10]),
            number=d.get("number"),
            season=d.get("season"),
            summary=d.get("summary", ""),
            sections=list(d.get("sections", [])),
            tags=list(d.get("tags", [])),
            image=d.get("image"),
            format=d.get("format", ""),
            items=[Item.from_dict(i) for i in d.get("items", [])],
        )
