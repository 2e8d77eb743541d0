"""`studio check`: the show, its scripts, the built episodes and feed.xml against the publishing rules.

Besides errors and warnings, it lists what is not ready yet ("todo"): a script not built, or
edited (or the show, a template) since its build; nothing built at all; placeholder URLs and
addresses (example.org and the other names reserved for examples, or this machine). It says
"ready to publish" only when there is none of these and no error.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from studio.build.current import build_state
from studio.build.showwide import render_failures
from studio.core.config import Show
from studio.core.config.checks import is_https_or_loopback
from studio.core.errors import ConfigError, StudioError
from studio.core.layout import OutputLayout
from studio.core.lazy import lazy_pattern
from studio.core.manifest import Manifest, read_manifest
from studio.core.progress import shown_path
from studio.core.urls import local_rel
from studio.feed import rules
from studio.feed.extensions import ATOM_NS, ITUNES_NS, PODCAST_NS
from studio.feed.index import listing
from studio.feed.rss import feed_guid
from studio.ingest import read_episode
from studio.ingest.limits import check_episode_limits, check_script_size
from studio.ingest.scripts import episode_scripts
from studio.speech.engines import check_engine_settings

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
TITLE_MAX, TEXT_MAX = 255, 4000
_LANGUAGE = lazy_pattern(r"^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$")
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606, with every name under them
RESERVED_TLDS = ("example", "test", "invalid", "localhost")  # RFC 2606 / 6761
PLACEHOLDER, BUILD = "placeholder", "build"  # kinds of todo


@dataclass
class Finding:
    level: str  # "error" | "todo" | "warning"
    where: str
    message: str
    kind: str = ""  # a todo's: PLACEHOLDER or BUILD
    script: str = ""  # a BUILD todo's script (as source_key names it)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    def error(self, where: Any, message: str) -> None:
        self.findings.append(Finding("error", str(where), message))

    def warn(self, where: Any, message: str) -> None:
        self.findings.append(Finding("warning", str(where), message))

    def todo(self, where: Any, message: str, kind: str, script: str = "") -> None:
        """Something not ready yet: not an error in what exists, but no release until it is done."""
        self.findings.append(Finding("todo", str(where), message, kind, script))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def todos(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "todo"]

    @property
    def ready(self) -> bool:
        return not self.errors and not self.todos

    def render(self) -> str:
        lines = [f"  ok     {p}" for p in self.passed]
        order = {"error": 0, "todo": 1, "warning": 2}
        label = {"error": "ERROR", "todo": "todo ", "warning": "warn "}
        for f in sorted(self.findings, key=lambda f: order[f.level]):
            lines.append(f"  {label[f.level]}  {f.where}: {f.message}")
        n, t, w = len(self.errors), len(self.todos), len(self.warnings)
        if n:
            verdict = "fix the errors before publishing"
        elif t:
            verdict = "not ready to publish: do the todo items first"
        else:
            verdict = "ready to publish"
        lines.append(f"{n} error{'s' * (n != 1)}, {w} warning{'s' * (w != 1)}"
                     + (f", {t} todo" if t else "") + f": {verdict}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "passed": self.passed,
                "findings": [{"level": f.level, "where": f.where, "message": f.message} | ({"kind": f.kind} if f.kind else {})
                             for f in self.findings]}


def check_all(show: Show, out: Path, scripts: bool = True) -> Report:
    """Everything `studio check` reports; scripts=False skips the scripts not yet built (for publish)."""
    report = Report()
    check_show(show, report)
    check_placeholders(show, report)
    if scripts:
        check_scripts(show, report, Path(out))
    manifests = check_episodes(show, Path(out), report)
    check_feed(show, Path(out), manifests, report)
    return report


def _shown(show: Show, path: Path) -> Path:
    """`path` relative to the show when inside it, for shorter report lines."""
    try:
        return Path(path).resolve().relative_to(show.root.resolve())
    except ValueError:
        return Path(path)


def _limit(report: Report, where: Any, what: str, text: str | None, most: int) -> None:
    if text and len(text) > most:
        report.error(where, f"{what} is {len(text)} characters, the limit is {most}")


def check_show(show: Show, report: Report) -> None:
    where, before = show.file, len(report.findings)
    try:
        check_engine_settings(show)
    except ConfigError as e:
        report.error(where, e.message)
    problem = rules.https_problem(show)
    if problem:
        report.error(where, problem)
    for problem in rules.cover_problems(show.path(show.cover)):
        report.error(where, problem)
    _limit(report, where, "key 'title'", show.title, TITLE_MAX)
    _limit(report, where, "key 'description'", show.description, TEXT_MAX)
    _limit(report, where, "key 'author'", show.author, TITLE_MAX)
    if not _LANGUAGE.match(show.language):
        report.error(where, f"key 'language': not a language code such as zh-CN or en: {show.language!r}")
    if not show.copyright:
        report.warn(where, "key 'copyright' is empty (Apple Podcasts shows it on the show page)")
    if len(report.findings) == before:
        report.passed.append(f"show settings and cover art ({show.path(show.cover).name})")


def placeholder_problem(url_or_address: str) -> str | None:
    """Why a URL or an address is a placeholder (a name reserved for examples, or this machine), or None."""
    value = url_or_address.strip()
    host = value.rpartition("@")[2] if "@" in value and "://" not in value else (urlsplit(value).hostname or "")
    host = host.lower().rstrip(".")
    if not host:
        return None
    if any(host == d or host.endswith("." + d) for d in EXAMPLE_DOMAINS) or host.rpartition(".")[2] in RESERVED_TLDS:
        return f"{host} is a name reserved for examples"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return f"{host} is this machine: only this machine can reach it (a test or a preview)"
    except ValueError:
        pass
    return None


def placeholder_settings(show: Show) -> list[tuple[str, str, str]]:
    """(key, value, why) of every URL or address in show.toml that is still a placeholder."""
    values = [("base_url", show.base_url), ("media_base_url", show.media_base_url),
              ("owner_email", show.owner_email), ("email.from_address", show.email.from_address),
              ("email.reply_to", show.email.reply_to), ("email.unsubscribe_url", show.email.unsubscribe_url),
              ("email.unsubscribe_mailto", show.email.unsubscribe_mailto), ("listen.public_url", show.listen.public_url),
              ("site.signup_url", show.site.signup_url), ("feed.hub", show.feed.hub)]
    values += [(f"site.subscribe.{name}", url) for name, url in show.site.subscribe.items()]
    found = []
    for key, value in values:
        why = placeholder_problem(value) if value else None
        if why:
            found.append((key, value, why))
    return found


def check_placeholders(show: Show, report: Report) -> None:
    for key, value, why in placeholder_settings(show):
        report.todo(show.file, f"key '{key}' is a placeholder ({value}: {why}): set the real one", PLACEHOLDER)


def check_scripts(show: Show, report: Report, out: Path | None = None) -> None:
    """Every script in episodes/ readable and within the limits; with `out`, each built there from its
    current text (else a todo naming what to run)."""
    folder = show.episodes_dir
    skipped: list[Path] = []
    scripts = episode_scripts(show, skipped)
    for path in skipped:  # never read through a link out of the show
        report.warn(path.relative_to(show.root).as_posix(), "a link leading outside the show; skipped (never read)")
    slugs, numbers, before = defaultdict(list), defaultdict(list), len(report.findings)
    for path in scripts:
        rel = rules.source_key(show, path)
        try:
            check_script_size(path, show.limits)
            ep = read_episode(path)
            check_episode_limits(ep, show.limits, path)
        except StudioError as e:
            report.error(rel, e.message)
            continue
        for problem in rules.number_problems(ep.number, ep.season):
            report.error(rel, f"front matter: {problem}")
        _limit(report, rel, "the title", ep.title, TITLE_MAX)
        _limit(report, rel, "the summary", ep.summary, TEXT_MAX)
        slugs[ep.slug].append(rel)
        if ep.number and ep.number > 0:
            numbers[(ep.season or show.feed.season, ep.number)].append(rel)
        if out is not None:
            reason = build_state(path, out, show).reason(shown_path(out))
            if reason:
                report.todo(rel, f"{reason}: run `studio build {rel}`", BUILD, rel)
    for slug, files in slugs.items():
        if len(files) > 1:
            report.error(files[-1], f"duplicate slug {slug!r}: also used by {', '.join(files[:-1])}")
    for (season, number), files in numbers.items():
        if len(files) > 1:
            report.warn(files[-1], f"episode number {number} is also used by {', '.join(files[:-1])}")
    if len(report.findings) == before:
        built = ", each built from its current text" if out is not None and scripts else ""
        report.passed.append(f"{len(scripts)} episode script{'s' * (len(scripts) != 1)} in {folder.name}/{built}")


def check_episodes(show: Show, out: Path, report: Report) -> list[Manifest]:
    """Every manifest in `out`: complete, audio size as recorded, side files present."""
    found, before = [], len(report.findings)
    layout = OutputLayout(out)
    for path in sorted(layout.manifests()):
        where = _shown(show, path)
        m, problem = read_manifest(path)
        if problem:
            report.error(where, f"{problem}; the feed and site leave the episode out")
            continue
        files = layout.episode(m.slug)
        audio = files.file(m.audio.file)
        if not audio.is_file():
            report.error(where, f"audio file missing: {audio.name}")
            continue
        if audio.stat().st_size != m.audio.bytes:
            report.error(where, f"{audio.name} is {audio.stat().st_size} bytes but the manifest says "
                                f"{m.audio.bytes} (rebuild the episode)")
        for problem in rules.number_problems(m.number, m.season):
            report.error(where, problem)
        present = {t.file for t in m.existing_transcripts(files.dir)}
        for t in m.transcripts:
            if t.file not in present:
                report.warn(where, f"transcript {t.file} is listed but missing or has no type; the feed leaves it out")
        if m.chapters and not m.existing_chapters(files.dir):
            report.warn(where, f"chapters file {m.chapters} is listed but missing; the feed leaves it out")
        found.append(m)
    for entry, why in render_failures(show, [listing(m) for m in found], out):
        report.error(_shown(show, layout.episode(entry.manifest.slug).manifest),
                     f"cannot be rendered ({why}); the feed and site leave the episode out")
        found = [m for m in found if m.slug != entry.manifest.slug]
    if not found and not any(f.level == "error" for f in report.findings[before:]):
        report.todo(_shown(show, out), "nothing built here yet: run `studio build`", BUILD)
    elif len(report.findings) == before:
        report.passed.append(f"{len(found)} built episode{'s' * (len(found) != 1)} in {out.name}/")
    return found


def _local(show: Show, out: Path, url: str) -> Path | None:
    rel = local_rel(show, url)
    return out / rel if rel is not None else None


def check_feed(show: Show, out: Path, manifests: list[Manifest], report: Report) -> None:
    from lxml import etree  # lazy: only `studio check` parses the feed

    full = OutputLayout(out).feed
    path = _shown(show, full)
    if not full.is_file():
        if manifests:  # with nothing built, that todo says it all
            report.todo(path, "no feed.xml: run `studio build` (it writes the feed and site)", BUILD)
        return
    try:
        channel = etree.parse(str(full)).getroot().find("channel")
    except etree.XMLSyntaxError as e:
        report.error(path, f"not well-formed XML: {e}")
        return
    if channel is None:
        report.error(path, "no <channel> element: not an RSS feed")
        return
    before = len(report.findings)
    _check_channel(show, out, path, channel, report)
    items = channel.findall("item")
    guids, enclosures, dates = {}, {}, []
    for n, item in enumerate(items, start=1):
        title = (item.findtext("title") or "").strip()
        where = f"{path} item {n} ({title[:40] or 'untitled'})"
        dates.append(_check_item(show, out, item, where, report, guids, enclosures))
    stamps = [d for d in dates if d is not None]
    if stamps != sorted(stamps, reverse=True):
        report.warn(path, "items are not newest first")
    in_feed = set(guids)
    expected = manifests[: show.feed.limit] if show.feed.limit else manifests
    stale = [m.slug for m in expected if m.guid not in in_feed]
    if stale:
        report.warn(path, f"out of date: {', '.join(stale)} not in the feed (run `studio build` or `studio publish`)")
    if len(report.findings) == before:
        report.passed.append(f"{path.name}: {len(items)} item{'s' * (len(items) != 1)}, required tags, limits, "
                             "https URLs, unique GUIDs and enclosures")


def _https(report: Report, where: str, what: str, url: str | None) -> None:
    if url and not is_https_or_loopback(url):  # http only to this machine, as base_url allows
        report.error(where, f"{what} must be an https URL, got {url!r}")


def _check_channel(show: Show, out: Path, path: Path, ch, report: Report) -> None:
    I, P = f"{{{ITUNES_NS}}}", f"{{{PODCAST_NS}}}"
    required = {
        "title": ch.findtext("title"), "link": ch.findtext("link"), "description": ch.findtext("description"),
        "language": ch.findtext("language"), "itunes:author": ch.findtext(I + "author"),
        "itunes:image": ch.find(I + "image").get("href") if ch.find(I + "image") is not None else None,
        "itunes:category": ch.find(I + "category").get("text") if ch.find(I + "category") is not None else None,
        "itunes:explicit": ch.findtext(I + "explicit"), "itunes:owner/itunes:email": ch.findtext(f"{I}owner/{I}email"),
        "itunes:type": ch.findtext(I + "type"), "podcast:guid": ch.findtext(P + "guid"),
        "atom:link rel=self": next((l.get("href") for l in ch.findall(f"{{{ATOM_NS}}}link") if l.get("rel") == "self"), None),
    }
    for tag, value in required.items():
        if not (value or "").strip():
            report.error(path, f"channel: required <{tag}> is missing or empty")
    _limit(report, path, "channel <title>", required["title"], TITLE_MAX)
    _limit(report, path, "channel <description>", required["description"], TEXT_MAX)
    if required["itunes:explicit"] and required["itunes:explicit"] not in ("true", "false"):
        report.error(path, f"<itunes:explicit> must be true or false, got {required['itunes:explicit']!r}")
    for tag in ("link", "itunes:image", "atom:link rel=self"):
        _https(report, path, f"channel <{tag}>", required[tag])
    if required["podcast:guid"] and required["podcast:guid"] != feed_guid(show):
        report.warn(path, f"<podcast:guid> {required['podcast:guid']} is not this show's ({feed_guid(show)}): "
                          "did base_url change? Set [feed] guid to keep the old one, or rebuild")
    image = _local(show, out, required["itunes:image"] or "")
    if image is not None and not image.is_file():
        report.error(path, f"<itunes:image> points at a missing file: {image.name}")


def _check_item(show, out, item, where, report, guids, enclosures):
    I, P = f"{{{ITUNES_NS}}}", f"{{{PODCAST_NS}}}"
    title = item.findtext("title")
    if not (title or "").strip():
        report.error(where, "required <title> is missing")
    _limit(report, where, "<title>", title, TITLE_MAX)
    _limit(report, where, "<description>", item.findtext("description"), TEXT_MAX)
    _limit(report, where, "<content:encoded>", item.findtext(f"{{{CONTENT_NS}}}encoded"), TEXT_MAX)
    _https(report, where, "<link>", item.findtext("link"))
    guid = (item.findtext("guid") or "").strip()
    if not guid:
        report.error(where, "required <guid> is missing")
    elif guid in guids:
        report.error(where, f"GUID {guid} is also used by {guids[guid]}")
    else:
        guids[guid] = where
    enc = item.find("enclosure")
    if enc is None:
        report.error(where, "required <enclosure> is missing")
    else:
        url, length, kind = enc.get("url") or "", enc.get("length") or "", enc.get("type") or ""
        _https(report, where, "the enclosure URL", url)
        if url in enclosures:
            report.error(where, f"enclosure URL {url} is also used by {enclosures[url]}")
        enclosures[url] = where
        if kind != "audio/mpeg":
            report.error(where, f"enclosure type must be audio/mpeg, got {kind!r}")
        if not length.isdigit() or int(length) <= 0:
            report.error(where, f"enclosure length must be the file size in bytes, got {length!r}")
        local = _local(show, out, url)
        if local is not None and not local.is_file():
            report.error(where, f"enclosure points at a missing file: {url}")
        elif local is not None and length.isdigit() and local.stat().st_size != int(length):
            report.error(where, f"enclosure length {length} but the file is {local.stat().st_size} bytes")
    image = item.find(I + "image")
    if image is not None:
        _https(report, where, "<itunes:image>", image.get("href"))
    duration = (item.findtext(I + "duration") or "").strip()
    if not duration.isdigit():
        report.error(where, f"<itunes:duration> must be whole seconds, got {duration!r}")
    number = item.findtext(I + "episode")
    if number is not None and (not number.strip().isdigit() or int(number) < 1):
        report.error(where, f"<itunes:episode> must be 1 or more, got {number!r}")
    for el in item.findall(P + "transcript") + item.findall(P + "chapters"):
        tag = el.tag.split("}")[1]
        _https(report, where, f"<podcast:{tag}> url", el.get("url"))
        if not el.get("type"):
            report.error(where, f"<podcast:{tag}> has no type")
        local = _local(show, out, el.get("url") or "")
        if local is not None and not local.is_file():
            report.error(where, f"<podcast:{tag}> points at a missing file: {el.get('url')}")
    raw = item.findtext("pubDate")
    try:
        when = email.utils.parsedate_to_datetime(raw or "")
    except (TypeError, ValueError):
        report.error(where, f"<pubDate> is not an RFC 822 date: {raw!r}")
        return None
    if when.tzinfo is None:
        report.error(where, f"<pubDate> has no time zone: {raw!r}")
        return None
    return when
