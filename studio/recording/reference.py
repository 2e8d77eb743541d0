"""The reference the recording is aligned with: the script read by the offline voice.

Every item is spoken by espeak-ng through the speech stage (the same plan, lexicon and clip
cache as a synthesized build, so a rebuild speaks nothing again), with its word and sentence
boundaries. The items' features are laid end to end with a pause of FILLER frames before,
between and after them; those pauses are the filler rows of the warping
(studio.recording.dtw): there the recording may hold things the script does not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

from studio.audio.ffmpeg import decode_pcm
from studio.core.config import Show
from studio.core.model import Episode, Item
from studio.recording.features import FRAME_S, KEPT, LOUD, RATE, Features, analyse, join_features, normalised, voiced
from studio.speech.align import speakable_count
from studio.speech.base import Boundary, Clip
from studio.speech.synthesize import synthesize_episode
from studio.speech.text import speech_sentences

REFERENCE_ENGINE = "espeak"
FILLER = 12  # frames (0.48 s) of pause around every item
BATCH_CHARS = 2000  # characters spoken at a time (about ten minutes)
SILENT_DB = -120.0


@dataclass
class ItemSpan:
    """One item in the reference: frames [first, end) and its spoken text and boundaries."""

    first: int
    end: int
    clip: Clip  # text, boundaries (ms from `first`), lexicon mapping; no audio

    def frame(self, ms: float) -> int:
        return min(self.end - 1, self.first + int(round(ms / 1000 / FRAME_S)))

    def voiced(self, features: np.ndarray) -> np.ndarray:
        """The item's voiced frames (absolute indices)."""
        return self.first + np.flatnonzero(features[self.first : self.end, LOUD] > 0)


@dataclass
class Reference:
    features: np.ndarray  # (frames, DIMS)
    filler: np.ndarray  # (frames,) bool: the pauses around items
    items: list[ItemSpan]
    optional: np.ndarray | None = None  # (frames,) bool: headings, which a host may not read
    engine: str = REFERENCE_ENGINE

    @property
    def spans(self) -> list[tuple[int, int]]:
        return [(it.first, it.end) for it in self.items]

    def reordered(self, order: list[int]) -> "Reference":
        """The same items in another order (the null model of studio.recording.locate)."""
        at = self.items[0].first
        parts, fills, spans = [self.features[:at]], [self.filler[:at]], []
        optional = self.optional if self.optional is not None else np.zeros(len(self.features), bool)
        opts = [optional[:at]]
        for k in order:
            it = self.items[k]
            stop = self.items[k + 1].first if k + 1 < len(self.items) else len(self.features)
            parts.append(self.features[it.first : stop])
            fills.append(self.filler[it.first : stop])
            opts.append(optional[it.first : stop])
            spans.append(ItemSpan(at, at + it.end - it.first, it.clip))
            at += stop - it.first
        return Reference(np.concatenate(parts), np.concatenate(fills), spans, np.concatenate(opts), self.engine)


def _gap() -> Features:
    return Features(np.zeros((FILLER, KEPT), np.float32), np.full(FILLER, SILENT_DB, np.float32))


def spoken_features(clip: Clip) -> Features:
    """The clip's features at the analysis rate (decoded by ffmpeg)."""
    pcm = decode_pcm(clip.audio, RATE, 1) if clip.audio else b""
    return analyse(np.frombuffer(pcm, "<i2").astype(np.float32) / 32768)


def batches(episode: Episode, chars: int = BATCH_CHARS) -> list[list[int]]:
    """Runs of items of about `chars` characters of speech each (at least one item a run)."""
    out: list[list[int]] = [[]]
    size = 0
    for k, item in enumerate(episode.items):
        if out[-1] and size + len(item.speech_text) > chars:
            out.append([])
            size = 0
        out[-1].append(k)
        size += len(item.speech_text)
    return out


def build_reference(episode: Episode, show: Show, cache_dir: Path, warn: Callable[[str], None] | None = None,
                    advance: Callable[[int], None] | None = None) -> Reference:
    """Speak the script with the offline voice and lay out its features with filler pauses.

    The items are spoken a batch at a time (the others blanked, so every item keeps its number
    for per-item voices and its cache entry) and only their features are kept: memory holds
    one batch of audio, not the whole script's.
    """
    clips: list[Clip] = [Clip(b"", "wav")] * len(episode.items)
    features: list[Features] = [Features(np.zeros((0, KEPT), np.float32), np.zeros(0, np.float32))] * len(clips)
    for batch in batches(episode):
        wanted = set(batch)
        items = [it if k in wanted else replace(it, speech_text="") for k, it in enumerate(episode.items)]
        speech = synthesize_episode(replace(episode, items=items), show, REFERENCE_ENGINE, cache_dir, warn=warn)
        for k in batch:
            features[k] = spoken_features(speech.clips[k])
            clips[k] = replace(speech.clips[k], audio=b"")  # only the text and boundaries are needed from here on
        if advance is not None:
            advance(len(batch))
    parts: list[Features] = [_gap()]
    spans: list[ItemSpan] = []
    at = FILLER
    for clip, f in zip(clips, features):
        spans.append(ItemSpan(at, at + len(f), clip))
        parts += [f, _gap()]
        at += len(f) + FILLER
    joined = join_features(parts)
    filler = np.zeros(len(joined), bool)
    optional = np.zeros(len(joined), bool)
    quiet = ~voiced(joined.level_db)
    for k, span in enumerate(spans):
        filler[spans[k - 1].end if k else 0 : span.first] = True
        optional[span.first : heading_end(span, episode.items[k])] = True
        for b in span.clip.boundaries[1:]:
            if b.kind == "sentence":  # the pause before a sentence: a false start or an aside goes there
                at = span.frame(b.offset_ms)
                run = at
                while run > span.first and quiet[run - 1] and at - run < FILLER:
                    run -= 1
                filler[run:at] = True
    filler[spans[-1].end :] = True
    return Reference(normalised(joined), filler, spans, optional)


def heading_end(span: ItemSpan, item: Item) -> int:
    """The frame where the item's text starts after its spoken heading (its first frame if it has none).

    A heading is spoken when the speech is the title, then the text: not when the title is
    only the text's own opening (a transcript's headline)."""
    sentences = speech_sentences(span.clip.text)
    starts = [b.offset_ms for b in span.clip.boundaries if b.kind == "sentence"]
    title, text = _letters(item.title), _letters(item.text)[:20]
    if len(sentences) < 2 or len(starts) < 2 or not title or not _letters(span.clip.text).startswith(title + text):
        return span.first
    if speakable_count(sentences[0]) != speakable_count(item.title):
        return span.first
    return span.frame(starts[1])


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).lower()


def words(span: ItemSpan) -> list[Boundary]:
    return [b for b in span.clip.boundaries if b.kind == "word"]
