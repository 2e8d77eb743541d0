"""Our feedgen extensions.

- `podcastindex`: the Podcasting 2.0 namespace (podcast:guid, podcast:locked,
  podcast:transcript, podcast:chapters).
- `itunes`: feedgen's podcast extension, but itunes:explicit is written as
  Apple's current "true"/"false" (feedgen only accepts yes/no/clean) and
  items may carry itunes:episodeType.
- `psc`: Podlove Simple Chapters, inline chapters many apps read.
"""

from __future__ import annotations

import functools
import re
import uuid
from types import SimpleNamespace

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC_NS = "http://podlove.org/simple-chapters"
ATOM_NS = "http://www.w3.org/2005/Atom"
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid(feed_url: str) -> str:
    """podcast:guid as the namespace specifies: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(GUID_NAMESPACE, bare))


def _explicit_text(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def npt(ms: float) -> str:
    """Normal play time HH:MM:SS.mmm (Podlove Simple Chapters)."""
    total = int(round(ms))
    s, milli = divmod(total, 1000)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{sec:02d}.{milli:03d}"


@functools.cache
def _extensions() -> SimpleNamespace:
    """The extension classes, made when a feed is first built: they subclass feedgen's."""
    import lxml.etree  # noqa: F401  lazy: feedgen.util uses lxml.etree without importing it
    from feedgen.ext.base import BaseEntryExtension, BaseExtension  # lazy: feedgen + lxml, only to write a feed
    from feedgen.ext.podcast import PodcastExtension  # lazy: as above
    from feedgen.ext.podcast_entry import PodcastEntryExtension  # lazy: as above
    from feedgen.util import xml_elem  # lazy: as above

    class PodcastIndexExtension(BaseExtension):
        def __init__(self):
            self._guid: str | None = None
            self._locked: tuple[bool, str | None] | None = None

        def extend_ns(self):
            return {"podcast": PODCAST_NS}

        def guid(self, value: str) -> None:
            self._guid = str(uuid.UUID(value))

        def locked(self, locked: bool, owner: str | None = None) -> None:
            self._locked = (locked, owner)

        def extend_rss(self, rss_feed):
            channel = rss_feed[0]
            if self._guid:
                xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self._guid
            if self._locked is not None:
                el = xml_elem(f"{{{PODCAST_NS}}}locked", channel)
                el.text = "yes" if self._locked[0] else "no"
                if self._locked[1]:
                    el.attrib["owner"] = self._locked[1]
            return rss_feed


    class PodcastIndexEntryExtension(BaseEntryExtension):
        def __init__(self):
            self._transcripts: list[dict[str, str]] = []
            self._chapters: tuple[str, str] | None = None

        def transcript(self, url: str, type: str, language: str | None = None, rel: str | None = None) -> None:
            attrs = {"url": url, "type": type}
            if language:
                attrs["language"] = language
            if rel:
                attrs["rel"] = rel
            self._transcripts.append(attrs)

        def chapters(self, url: str, type: str = "application/json+chapters") -> None:
            self._chapters = (url, type)

        def extend_rss(self, entry):
            for attrs in self._transcripts:
                el = xml_elem(f"{{{PODCAST_NS}}}transcript", entry)
                for k, v in attrs.items():
                    el.attrib[k] = v
            if self._chapters:
                el = xml_elem(f"{{{PODCAST_NS}}}chapters", entry)
                el.attrib["url"], el.attrib["type"] = self._chapters
            return entry


    class _ExplicitTrueFalse:
        """itunes:explicit as Apple's true/false (feedgen only knows yes/no/clean)."""

        _explicit: bool | None = None

        def itunes_explicit(self, itunes_explicit=None):
            if isinstance(itunes_explicit, bool):
                self._explicit = itunes_explicit
            elif itunes_explicit is not None:
                raise ValueError("itunes:explicit must be True or False")
            return _explicit_text(self._explicit)


    class ItunesExtension(_ExplicitTrueFalse, PodcastExtension):
        """feedgen's podcast extension with itunes:explicit as true/false."""

        def extend_rss(self, rss_feed):
            rss_feed = super().extend_rss(rss_feed)
            text = _explicit_text(self._explicit)
            if text:
                xml_elem(f"{{{ITUNES_NS}}}explicit", rss_feed[0]).text = text
            return rss_feed


    class ItunesEntryExtension(_ExplicitTrueFalse, PodcastEntryExtension):
        """feedgen's podcast entry extension with itunes:explicit true/false and itunes:episodeType."""

        def __init__(self):
            super().__init__()
            self._episode_type: str | None = None

        def itunes_episode_type(self, value: str) -> None:
            if value not in ("full", "trailer", "bonus"):
                raise ValueError("itunes:episodeType must be full, trailer or bonus")
            self._episode_type = value

        def extend_rss(self, entry):
            entry = super().extend_rss(entry)
            text = _explicit_text(self._explicit)
            if text:
                xml_elem(f"{{{ITUNES_NS}}}explicit", entry).text = text
            if self._episode_type:
                xml_elem(f"{{{ITUNES_NS}}}episodeType", entry).text = self._episode_type
            return entry


    class AtomHubExtension(BaseExtension):
        """<atom:link rel="hub"> (WebSub): feedgen writes only rel="self" into RSS."""

        def __init__(self):
            self._hub: str | None = None

        def hub(self, url: str) -> None:
            self._hub = url

        def extend_rss(self, rss_feed):
            if self._hub:
                el = xml_elem(f"{{{ATOM_NS}}}link", rss_feed[0])
                el.attrib["href"], el.attrib["rel"] = self._hub, "hub"
            return rss_feed


    class AtomHubEntryExtension(BaseEntryExtension):
        pass


    class PodloveExtension(BaseExtension):
        def extend_ns(self):
            return {"psc": PSC_NS}


    class PodloveEntryExtension(BaseEntryExtension):
        def __init__(self):
            self._chapters: list[tuple[str, str, str | None]] = []

        def chapter(self, start_ms: float, title: str, href: str | None = None) -> None:
            self._chapters.append((npt(start_ms), title, href))

        def extend_rss(self, entry):
            if self._chapters:
                group = xml_elem(f"{{{PSC_NS}}}chapters", entry)
                group.attrib["version"] = "1.2"
                for start, title, href in self._chapters:
                    el = xml_elem(f"{{{PSC_NS}}}chapter", group)
                    el.attrib["start"], el.attrib["title"] = start, title
                    if href:
                        el.attrib["href"] = href
            return entry

    return SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})


def register_all(fg) -> None:
    x = _extensions()
    fg.register_extension("itunes", x.ItunesExtension, x.ItunesEntryExtension)
    fg.register_extension("podcastindex", x.PodcastIndexExtension, x.PodcastIndexEntryExtension)
    fg.register_extension("psc", x.PodloveExtension, x.PodloveEntryExtension)
    fg.register_extension("atomhub", x.AtomHubExtension, x.AtomHubEntryExtension, atom=False)
