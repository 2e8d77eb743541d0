"""Where each item is in the recording, how sure that is, and where its words are.

An item opens at the first run of well matched frames of its text, or of its heading when the
heading matched about as well as the text (a heading the host left out is skipped by the path,
or matched with whatever is near); the start is that frame's match, moved to the onset of the
speech there: back to the start of the stretch of speech it falls in (no pause of PAUSE_S in
it) when that stretch began after the previous item and less than SNAP_BACK_S before, or
forward out of a pause. Its words are timed through the path the same way.

Confidence: for every voiced reference frame the host read, the share of random voiced
recording frames that lie farther from it than the frame it was matched with (1.0: nothing
fits better). A path forced through the wrong recording still scores well above chance,
because warping picks the best of many frames; so pieces of the same reference (every other
of NULL_PIECES) are also aligned in reverse order, where at most one can land where it
belongs, and an item's confidence is how far its score lies from that null score towards 1.0.
An item at or over LOCATED is located.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.core.lazy import lazy_module

np = lazy_module("numpy")  # lazy: numpy (~0.1 s to import) only when a recording is aligned

from studio.recording.features import FRAME_S, LOUD
from studio.recording.reference import ItemSpan, Reference
from studio.recording.warping import K_REC, Path, align

LOCATED = 0.4
NULL_PIECES = 8
RUN = 3  # well matched frames in a row that mark an item's opening
HEADING_MATCH = 1.15  # a heading's median distance at most this times its text's: it was read
RANDOM_FRAMES = 32
PAUSE_S = 0.4  # a quieter stretch at least this long is a pause between phrases
SNAP_BACK_S = 3.0
SNAP_FORWARD_S = 1.0
BLOCK = 4096


@dataclass
class Word:
    kind: str  # "word" | "sentence"
    text: str
    start_s: float
    end_s: float


@dataclass
class PlacedItem:
    """One item in the recording; start/end are None when it was not located."""

    confidence: float
    start_s: float | None = None
    end_s: float | None = None
    words: list[Word] = field(default_factory=list)

    @property
    def located(self) -> bool:
        return self.start_s is not None


def frame_scores(ref: np.ndarray, rec: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per reference frame: the share of RANDOM_FRAMES random voiced recording frames farther than its match."""
    voiced = np.flatnonzero(rec[:, LOUD] > 0)
    if not len(voiced):
        return np.zeros(len(ref))
    out = np.empty(len(ref))
    for lo in range(0, len(ref), BLOCK):
        a = ref[lo : lo + BLOCK]
        matched = np.linalg.norm(a - rec[cols[lo : lo + BLOCK]], axis=1)
        others = rec[rng.choice(voiced, (len(a), RANDOM_FRAMES))]
        far = np.linalg.norm(others - a[:, None, :], axis=2)
        out[lo : lo + BLOCK] = (far > matched[:, None]).mean(axis=1)
    return out


def null_score(reference: Reference, rec: np.ndarray, seed: int) -> float:
    """The median score of reference pieces aligned in reverse order (what chance gives)."""
    feats, filler = reference.features, reference.filler
    edges = np.linspace(0, len(feats), NULL_PIECES + 1).astype(int)
    pieces = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b > a][::-1]  # every other piece: half the work
    shuffled = np.concatenate([feats[a:b] for a, b in pieces])
    fill = np.concatenate([filler[a:b] for a, b in pieces])
    fill[0] = fill[-1] = True
    path = align(shuffled, fill, rec, [], None, seed)
    scores = frame_scores(shuffled, rec, path.last_cols(len(shuffled)), np.random.default_rng(seed))
    voiced = (shuffled[:, LOUD] > 0) & ~fill
    at, means = 0, []
    for a, b in pieces:
        part = voiced[at : at + b - a]
        if part.any():
            means.append(float(scores[at : at + b - a][part].mean()))
        at += b - a
    return float(np.median(means)) if means else 0.5


def _runs_start(voiced: np.ndarray, at: int, pause: int) -> int:
    """The first frame of the stretch of speech around `at` (no `pause` quiet frames in a row)."""
    quiet = 0
    k = at
    while k > 0:
        if voiced[k - 1]:
            quiet = 0
        else:
            quiet += 1
            if quiet >= pause:
                return k + quiet - 1
        k -= 1
    return 0


def snap_start(voiced: np.ndarray, at: int, after: int) -> int:
    """`at` moved to the onset of the speech it belongs to (see the module's doc)."""
    pause = max(1, round(PAUSE_S / FRAME_S))
    if not voiced[at]:
        ahead = np.flatnonzero(voiced[at : at + round(SNAP_FORWARD_S / FRAME_S)])
        return at + int(ahead[0]) if len(ahead) else at
    onset = _runs_start(voiced, at, pause)
    if onset > after and (at - onset) * FRAME_S <= SNAP_BACK_S:
        return onset
    return at


def snap_end(voiced: np.ndarray, at: int, before: int) -> int:
    """The end of the speech `at` falls in, if it ends within SNAP_BACK_S and before `before`."""
    pause = max(1, round(PAUSE_S / FRAME_S))
    limit = min(before, at + round(SNAP_BACK_S / FRAME_S), len(voiced))
    quiet, k = 0, at
    while k < limit:
        quiet = 0 if voiced[k] else quiet + 1
        if quiet >= pause:
            return k - quiet + 1
        k += 1
    return at


def locate(reference: Reference, rec: np.ndarray, seed: int = 0) -> tuple[list[PlacedItem], Path, float]:
    """Every item's place in the recording (`rec`: its normalised features), the path and the null score."""
    path = align(reference.features, reference.filler, rec, reference.spans, reference.optional, seed)
    count = len(reference.features)
    last, first = path.last_cols(count), path.first_cols(count)
    scores = frame_scores(reference.features, rec, last, np.random.default_rng(seed))
    base = null_score(reference, rec, seed)
    voiced = rec[:, LOUD] > 0
    openings, spoken = opening_frames(reference, rec, path)
    raw = [int(last[f]) if f is not None else None for f in openings]
    placed: list[PlacedItem] = []
    after = -1
    for k, span in enumerate(reference.items):
        frames = span.voiced(reference.features)
        score = float(scores[spoken[k]].mean()) if len(spoken[k]) else 0.0
        confidence = float(np.clip((score - base) / max(1e-6, 1 - base), 0, 1))
        if confidence < LOCATED or raw[k] is None:
            placed.append(PlacedItem(round(confidence, 3)))
            continue
        start = snap_start(voiced, raw[k], after)
        nxt = next((r for r in raw[k + 1 :] if r is not None), len(voiced))
        end = max(start + 1, snap_end(voiced, int(first[frames[-1]]) + 1, nxt))
        item = PlacedItem(round(confidence, 3), start * FRAME_S, end * FRAME_S)
        item.words = _words(span, last, first, start, end)
        placed.append(item)
        after = end
    return placed, path, base


def opening_frames(reference: Reference, rec: np.ndarray, path: Path) -> tuple[list[int | None], list[np.ndarray]]:
    """Per item, the reference frame whose match marks its start (None: an item with no sound),
    and the voiced frames the host read (the heading's only when it was read).

    The first frame of the first run of RUN well matched frames (taken diagonally, closer than
    a right move's cap) of its text, or of its heading when the heading matched about as well
    as the text did (a heading the host did not read is matched, if at all, with whatever is near).
    """
    count = len(reference.features)
    rows, cols = path.rows, path.cols
    d = np.linalg.norm(reference.features[rows] - rec[cols], axis=1)
    closest = np.full(count, np.inf)
    np.minimum.at(closest, rows, d)
    diagonal = np.concatenate([[True], (np.diff(rows) == 1) & (np.diff(cols) == 1)])
    good = np.zeros(count + RUN, bool)
    good[rows[diagonal & (d <= path.matched + K_REC * (path.unrelated - path.matched))]] = True
    optional = reference.optional if reference.optional is not None else np.zeros(count, bool)

    def opening(frames: np.ndarray) -> int | None:
        return next((int(f) for f in frames if good[f : f + RUN].all()), None)

    out: list[int | None] = []
    spoken: list[np.ndarray] = []
    for span in reference.items:
        frames = span.voiced(reference.features)
        heading, text = frames[optional[frames]], frames[~optional[frames]]
        text = text if len(text) else frames
        found = opening(text) if len(text) else None
        read = text
        if len(heading) and np.median(closest[heading]) <= HEADING_MATCH * np.median(closest[text]):
            found = opening(heading) or found
            read = frames
        out.append(found if found is not None else (int(text[0]) if len(text) else None))
        spoken.append(read)
    return out, spoken


def _words(span: ItemSpan, last: np.ndarray, first: np.ndarray, start: int, end: int) -> list[Word]:
    """The item's boundaries in recording time: each starts where the path leaves its first
    frame and ends where the path reaches the frame of the next boundary of its kind."""
    out: list[Word] = []
    for kind in ("word", "sentence"):
        bounds = [b for b in span.clip.boundaries if b.kind == kind]
        for n, b in enumerate(bounds):
            at = start if n == 0 else int(np.clip(last[span.frame(b.offset_ms)], start, end))
            stop_frame = span.frame(bounds[n + 1].offset_ms) if n + 1 < len(bounds) else span.end - 1
            stop = int(np.clip(first[stop_frame], at, end))
            if n + 1 == len(bounds):
                stop = end
            out.append(Word(kind, b.text, at * FRAME_S, stop * FRAME_S))
    out.sort(key=lambda w: (w.start_s, w.kind != "sentence"))
    return out
