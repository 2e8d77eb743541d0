"""Speech text -> request-sized chunks, and Latin/CJK segments for a second voice."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from studio.core.lazy import lazy_pattern

MAX_REQUEST_BYTES = 4096  # the service's limit on one request's (XML-escaped) text
_SPEAKABLE = lazy_pattern(r"[^\W_]", re.UNICODE)  # a letter or digit of any script
CJK_ENDS = "。！？!?；;…"  # end a sentence wherever they stand
CLOSERS = "”’」』）)\"'"  # belong to the sentence before them
_SENTENCE_END = lazy_pattern(rf"(?<=[{CJK_ENDS}])(?![{CJK_ENDS}{CLOSERS}])|(?<=[.!?;])(?=\s)")
_CLAUSE_END = lazy_pattern(r"(?<=[，,、：:])")
_LATIN_RUN = lazy_pattern(r"[A-Za-z0-9][A-Za-z0-9 \t'’.,:;!?&%$@#/+\-()\"“”]*[A-Za-z0-9.!?%)\"”]|[A-Za-z]")
ENGLISH_MIN_WORDS = 3  # a Latin run needs this many words to go to the English voice


def is_speakable(text: str) -> bool:
    """False for punctuation/whitespace-only text ("……"), which the service answers with no audio."""
    return bool(_SPEAKABLE.search(text))


def request_bytes(text: str) -> int:
    return len(escape(text).encode("utf-8"))


def speech_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s]


def ends_sentence(text: str) -> bool:
    """Whether `text` ends where a sentence does (closing quotes and brackets aside)."""
    return text.rstrip().rstrip(CLOSERS).endswith(tuple(CJK_ENDS + "."))


def split_for_requests(text: str, limit: int = MAX_REQUEST_BYTES, target: int | None = None) -> list[str]:
    """Pack whole sentences into chunks of at most `target` escaped bytes (default: `limit`).

    Only a sentence longer than the hard `limit` is cut (at clauses, then spaces, then
    characters); one longer than `target` is a chunk of its own, never cut. Chunks with
    nothing speakable are dropped, never sent.
    """
    pack = min(limit, target or limit)
    pieces: list[str] = []
    for sentence in speech_sentences(text):
        pieces.extend(_fit(sentence, limit))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and request_bytes(current + piece) > pack:
            chunks.append(current)
            current = ""
        current += piece
    if current:
        chunks.append(current)
    out = [c.strip() for c in chunks]
    return [c for c in out if is_speakable(c)]


def _fit(piece: str, limit: int) -> list[str]:
    if request_bytes(piece) <= limit:
        return [piece]
    for splitter in (_CLAUSE_END, re.compile(r"(?<=\s)")):
        parts = [p for p in splitter.split(piece) if p]
        if len(parts) > 1:
            out: list[str] = []
            for p in parts:
                out.extend(_fit(p, limit))
            return out
    out, current = [], ""
    for ch in piece:  # no break at all: cut between characters
        if current and request_bytes(current + ch) > limit:
            out.append(current)
            current = ""
        current += ch
    return out + ([current] if current else [])


def language_segments(text: str, min_words: int = ENGLISH_MIN_WORDS) -> list[tuple[str, bool]]:
    """Split text into (segment, is_english) runs: Latin runs of >= min_words words are English."""
    segments: list[tuple[str, bool]] = []
    pos = 0
    for m in _LATIN_RUN.finditer(text):
        words = re.findall(r"[A-Za-z][A-Za-z0-9'’\-]*", m.group(0))
        if len(words) < min_words:
            continue
        if m.start() > pos:
            segments.append((text[pos : m.start()], False))
        segments.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        segments.append((text[pos:], False))
    return [(s, eng) for s, eng in segments if is_speakable(s)] or [(text, False)]
