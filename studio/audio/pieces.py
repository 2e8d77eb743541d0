"""Cut the episode into pieces, each mixed, levelled and encoded on its own, then joined.

A piece is a run of items; it ends in the middle of the gap after its last item, moved by
less than half an MP3 frame so that the piece fills whole frames once its encoder has added its
delay and padding (LAME adds one frame's worth): the joined stream then keeps the mix's timeline
exactly, and a gap with a cut in it is within 13 ms of `gap`. Where to cut
depends only on each item's own clip (a hash of its content picks about one item in
AVERAGE_ITEMS, and MAX_ITEMS bounds a piece), so editing one item changes the pieces around it
and nothing else: a rebuild re-encodes those (studio.audio.piece_encoder) and joins the rest
as they were. With items levelled (the default) every gain is known from the clip itself, so a
piece is planned, and encoded, as soon as its clips are decoded: while the others are spoken.

Level per piece: each item's gain brings its speech to the mix's aim; the piece's PCM is
lowered by its headroom (the amount its loudest peak would go over -1 dBFS in 16 bits) and
the encoder adds it back in floating point, with a limiter when a peak would come near the
true-peak ceiling (the only non-linear step: the piece encoder checks it on the MP3).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from studio.audio.loudness import CODEC_MARGIN_DB, LIMIT_BELOW_CEILING_DB, PEAK_HEADROOM_DB, Master, power_mean
from studio.audio.mix import Jingles, Layout, Part, PieceMix
from studio.core.config import AudioConfig

AVERAGE_ITEMS = 3  # an item ends a piece when its clip's hash is 0 modulo this
MAX_ITEMS = 6  # ...or when the piece has this many items
MIN_CUT_GAP_S = 0.2  # no cuts in shorter gaps (the codec's overlap must fall in silence)
MAX_LIMITING_DB = 6.0  # levelling never drives a clip's peaks further than this into the limiter
MP3_FRAME = 1152  # samples per MPEG-1 Layer III frame (44.1 and 48 kHz)
PIECE_FORMAT = "studio-piece-1"  # bump when a piece's audio changes for the same plan


@dataclass
class PiecePlan:
    mix: PieceMix
    master: Master  # what the encoder applies
    predicted_lufs: float  # the encoded piece's loudness if prediction holds
    key: str  # hash of everything the encoded piece depends on

    @property
    def items(self) -> range:
        return range(self.mix.first, self.mix.first + len(self.mix.parts))


class Planner:
    """Plans the pieces of one episode from its decoded parts, in order."""

    def __init__(self, cfg: AudioConfig, jingles: Jingles, music_db: float, master_db: float,
                 sections: list[str], codec_loss: float, aim: float, context: str):
        self.cfg, self.jingles, self.music_db, self.master_db = cfg, jingles, music_db, master_db
        self.sections, self.codec_loss, self.aim, self.context = sections, codec_loss, aim, context
        self.layout = Layout(cfg.gap, cfg.music_under, cfg.fade_in, cfg.fade_out)

    def new_section(self, i: int) -> bool:
        return i > 0 and bool(self.sections[i]) and self.sections[i] != self.sections[i - 1]

    def gain(self, part: Part) -> float:
        """An item's level gain: to the aim when items are levelled (within MAX_LIMITING_DB of limiting)."""
        if not self.cfg.level_items or part.silent:
            return 0.0
        return min(self.aim - part.loudness.integrated, self.cfg.true_peak + MAX_LIMITING_DB - part.peak_db)

    def plan(self, count: int, part_at: Callable[[int], Part],
             sounds: Callable[[int], bool] | None = None) -> Iterator[PiecePlan]:
        """Yield the pieces as soon as each is known (`part_at(i)` may wait for item i's clip; `sounds(i)`,
        when given, says without waiting whether item i will have sound, so a piece need not wait for the next)."""
        first, parts = 0, []
        spoken_before = any_spoken = after_cut = False
        following: Part | None = None
        for i in range(count):
            part = following if following is not None else part_at(i)
            following = None
            parts.append(part)
            any_spoken = any_spoken or part.size > 0
            if i == count - 1:
                break
            if any_spoken and self._cut_after(part, len(parts)):
                if sounds is not None and sounds(i + 1):
                    next_speaks = True
                else:
                    following = part_at(i + 1)
                    next_speaks = following.size > 0
                if next_speaks:  # the next piece starts with speech
                    yield self.piece(first, parts, after_cut, True, spoken_before, last=False)
                    first, parts, after_cut, spoken_before = i + 1, [], True, True
        yield self.piece(first, parts, after_cut, False, spoken_before, last=True)

    def _cut_after(self, part: Part, items: int) -> bool:
        if self.cfg.gap < MIN_CUT_GAP_S or not part.key:
            return False
        return int(part.key[:8], 16) % AVERAGE_ITEMS == 0 or items >= MAX_ITEMS

    def piece(self, first: int, parts: list[Part], after_cut: bool, before_cut: bool, spoken_before: bool,
              last: bool) -> PiecePlan:
        cfg, music_db, master_db = self.cfg, self.music_db, self.master_db
        gains = [self.gain(p) for p in parts]
        music: list[Part] = []
        if first == 0 and self.jingles.intro:
            music.append(self.jingles.intro)
        if last and self.jingles.outro and not before_cut:
            music.append(self.jingles.outro)
        if self.jingles.stinger:
            spoken = spoken_before
            for k, p in enumerate(parts):
                if p.size and spoken and self.new_section(first + k):
                    music.append(self.jingles.stinger)
                spoken = spoken or p.size > 0
        peaks = [p.peak_db + g for p, g in zip(parts, gains) if p.size] + [j.peak_db + music_db for j in music]
        top = max(peaks, default=-math.inf)
        headroom = max(0.0, top - PEAK_HEADROOM_DB)
        limit = None
        if top + master_db > cfg.true_peak - CODEC_MARGIN_DB / 2:
            limit = cfg.true_peak - LIMIT_BELOW_CEILING_DB
        mix = PieceMix(first, parts, [g - headroom for g in gains], music_db - headroom, intro=first == 0,
                       outro=last, after_cut=after_cut, before_cut=before_cut, spoken_before=spoken_before,
                       align=MP3_FRAME if before_cut else 0)
        master = Master(master_db + headroom, limit)
        levels = [(p.loudness.integrated + g + master_db, p.size) for p, g in zip(parts, gains) if not p.silent]
        levels += [(j.loudness.integrated + music_db + master_db, j.size) for j in music if not j.silent]
        predicted = power_mean(levels) - self.codec_loss
        return PiecePlan(mix, master, predicted, self._key(mix, master, music))

    def _key(self, mix: PieceMix, master: Master, music: list[Part]) -> str:
        stingers = [self.new_section(i) for i in range(mix.first, mix.first + len(mix.parts))]
        described = [
            PIECE_FORMAT, self.context, asdict(self.layout), [p.key for p in mix.parts], [round(g, 4) for g in mix.gains],
            round(mix.music_db, 4), [mix.intro, mix.outro, mix.after_cut, mix.before_cut, mix.spoken_before, mix.align],
            stingers, [j.key for j in music], [round(master.gain_db, 4), master.limit_db],
        ]
        return hashlib.sha256(json.dumps(described, default=str).encode()).hexdigest()[:40]
