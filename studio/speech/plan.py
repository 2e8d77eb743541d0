"""Which voice reads what: show default, episode, per-section and per-item overrides,
alternating hosts, and an optional English voice for Latin-script spans and for items in English
(an English item in a show whose voice reads another script is read by `english_voice`, or named in
a warning when there is none).

Front matter keys (TOML or YAML):
  voice = "zh-CN-YunxiNeural"                 # the episode's default voice
  hosts = ["zh-CN-XiaoxiaoNeural", "zh-CN-YunxiNeural"]   # alternate item by item
  english_voice = "en-US-AriaNeural"           # English headlines/spans
  [voices]                                     # overrides: section name, item title or item number
  "热点新闻" = "zh-CN-YunjianNeural"
  "3" = "zh-CN-XiaoyiNeural"
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from studio.core.config import Show
from studio.core.errors import ScriptError
from studio.core.lazy import lazy_pattern
from studio.core.model import Episode
from studio.speech.base import VoiceSettings
from studio.speech.lexicon import Lexicon, Respelled
from studio.speech.text import ENGLISH_MIN_WORDS, language_segments, split_for_requests
from studio.speech.voices import check_voice

# languages of voice names written in another script than Latin: an English item there wants another voice
OTHER_SCRIPTS = frozenset("zh yue wuu ja ko ru uk be bg mk kk mn el ka hy he ar fa ur ps am hi mr ne bn gu pa "
                          "ta te kn ml si th lo km my".split())
LATIN_SHARE = 0.9  # of an item's letters, for it to count as English
MAX_NAMED = 5  # English items named in the warning; the rest counted
_WORD = lazy_pattern(r"[A-Za-z][A-Za-z'’\-]*")


@dataclass
class Segment:
    text: str
    voice: VoiceSettings


@dataclass
class ItemSpeech:
    index: int
    label: str
    text: str  # the speech text after the lexicon
    segments: list[Segment]  # in order; each becomes one or more requests
    shown: Respelled | None = None  # maps the speech text back to the written words
    english: bool = False  # the item is in English and its voice's language is written otherwise

    @property
    def voices(self) -> list[str]:
        return list(dict.fromkeys(s.voice.voice for s in self.segments))


def item_label(episode: Episode, index: int) -> str:
    title = episode.items[index].title.strip()
    title = title if len(title) <= 40 else title[:39] + "…"
    return f"item {index + 1} ({title!r})" if title else f"item {index + 1}"


def _front(episode: Episode, key: str, kind: type, what: str) -> Any:
    value = episode.meta.get(key)
    if value is not None and not isinstance(value, kind):
        raise ScriptError(f"front matter '{key}': must be {what}, got {value!r}", episode.source)
    return value


def resolve_voices(show: Show, episode: Episode, known: dict) -> tuple[list[str], str | None, set[int]]:
    """The main voice of each item, the English voice (or None) and the items whose voice was set for
    that very item (its own `voice`, its number or title in `voices`); every name checked."""
    show_file = show.file
    src = episode.source
    check_voice(show.voice, "key 'voice'", show_file, known)
    for n, v in enumerate(show.speech.hosts):
        check_voice(v, f"key 'speech.hosts[{n}]'", show_file, known)
    if show.speech.english_voice:
        check_voice(show.speech.english_voice, "key 'speech.english_voice'", show_file, known)

    ep_voice = _front(episode, "voice", str, "a voice name")
    hosts = _front(episode, "hosts", list, "a list of voice names")
    english = _front(episode, "english_voice", str, "a voice name")
    overrides = _front(episode, "voices", dict, "a table of section/item -> voice")
    if ep_voice is not None:
        check_voice(ep_voice, "front matter 'voice'", src, known, ScriptError)
    for n, v in enumerate(hosts or []):
        check_voice(v, f"front matter 'hosts[{n}]'", src, known, ScriptError)
    if english:
        check_voice(english, "front matter 'english_voice'", src, known, ScriptError)
    for key, v in (overrides or {}).items():
        check_voice(v, f"front matter 'voices.{key}'", src, known, ScriptError)

    by_number, by_name = _override_targets(episode, overrides or {})
    hosts = hosts if hosts else show.speech.hosts
    default = ep_voice or show.voice
    voices, chosen = [], set()
    for i, item in enumerate(episode.items):
        if item.voice:
            check_voice(item.voice, f"{item_label(episode, i)}: voice", src, known, ScriptError)
        own = item.voice or by_number.get(i + 1) or by_name.get(item.title.strip())
        if own:
            chosen.add(i)  # this very item's voice: an English item keeps it
        voice = (
            own
            or by_name.get(item.section.strip())
            or (hosts[i % len(hosts)] if hosts else None)
            or default
        )
        voices.append(voice)
    return voices, english if english is not None else (show.speech.english_voice or None), chosen


def _override_targets(episode: Episode, overrides: dict) -> tuple[dict[int, str], dict[str, str]]:
    titles = {it.title.strip() for it in episode.items}
    sections = {it.section.strip() for it in episode.items if it.section} | set(episode.sections)
    by_number: dict[int, str] = {}
    by_name: dict[str, str] = {}
    for key, voice in overrides.items():
        k = str(key).strip()
        if k.isdigit():
            if not 1 <= int(k) <= len(episode.items):
                raise ScriptError(
                    f"front matter 'voices.{k}': there is no item {k} (the episode has {len(episode.items)})",
                    episode.source,
                )
            by_number[int(k)] = voice
        elif k in titles or k in sections:
            by_name[k] = voice
        else:
            close = difflib.get_close_matches(k, sorted(titles | sections), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScriptError(
                f"front matter 'voices.{k}': no section, item title or item number {k!r}{hint}", episode.source
            )
    return by_number, by_name


def settings(show: Show, voice: str) -> VoiceSettings:
    s = show.speech
    return VoiceSettings(voice=voice, rate=s.rate, pitch=s.pitch, volume=s.volume)


def plan_speech(show: Show, episode: Episode, known: dict, lexicon: Lexicon) -> list[ItemSpeech]:
    voices, english, chosen = resolve_voices(show, episode, known)
    plans = []
    for i, (item, voice) in enumerate(zip(episode.items, voices)):
        shown = lexicon.respell(item.speech_text)
        text = shown.spoken
        foreign = i not in chosen and in_english(text) and written_otherwise(voice)
        if foreign and english:  # an English item in (say) a Chinese show: the English voice reads all of it
            segments = [Segment(text, settings(show, english))]
        elif english and not voice.startswith("en-"):
            segments = [Segment(s, settings(show, english if eng else voice)) for s, eng in language_segments(text)]
        else:
            segments = [Segment(text, settings(show, voice))]
        plans.append(ItemSpeech(i, item_label(episode, i), text, segments, shown, english=foreign))
    return plans


def in_english(text: str) -> bool:
    """Whether `text` reads as English: at least ENGLISH_MIN_WORDS words, and Latin letters at least
    LATIN_SHARE of its letters (a Chinese item quoting "Apple Vision Pro" is not)."""
    letters = [c for c in text if c.isalpha()]
    latin = sum(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in letters)
    return len(_WORD.findall(text)) >= ENGLISH_MIN_WORDS and latin >= LATIN_SHARE * len(letters)


def written_otherwise(voice: str) -> bool:
    """Whether the voice's language is written in another script than English (Chinese, Japanese, ...)."""
    return voice.split("-")[0].lower() in OTHER_SCRIPTS


def english_note(plans: list[ItemSpeech]) -> str | None:
    """One warning naming the English items no English voice reads, or None."""
    unread = [p for p in plans if p.english and not any(v.startswith("en-") for v in p.voices)]
    if not unread:
        return None
    names = ", ".join(p.label for p in unread[:MAX_NAMED]) + (f" and {len(unread) - MAX_NAMED} more"
                                                              if len(unread) > MAX_NAMED else "")
    verb = "is" if len(unread) == 1 else "are"
    return (f"{names} {verb} in English but read by {unread[0].voices[0]}: set speech.english_voice in show.toml "
            "(or english_voice in the front matter), e.g. en-US-AriaNeural")


def chunks_of(segment: Segment, limit: int, target: int | None = None) -> list[str]:
    return split_for_requests(segment.text, limit, target)
