"""ID3 tags behind a small API (mutagen, ID3v2.3 for the widest player support).

Chapters are stored in time order: players built on ffmpeg list CHAP frames in the order of the
file (mutagen orders frames by size), so the tag's frames are put in order after mutagen writes them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

# ISO 639-2 codes for COMM/TLAN, from the show's language ("zh-CN" -> "chi")
_LANG = {"zh": "chi", "en": "eng", "ja": "jpn", "ko": "kor", "fr": "fre", "de": "ger", "es": "spa"}


@dataclass
class Chapter:
    start_ms: int
    end_ms: int
    title: str
    url: str = ""


@dataclass
class EpisodeTags:
    title: str
    artist: str
    album: str
    date: str
    track: int | None = None
    description: str = ""
    cover: Path | bytes | None = None
    language: str = ""
    copyright: str = ""
    chapters: list[Chapter] = field(default_factory=list)
    length_ms: int | None = None  # TLEN: the audio's length


@functools.cache
def _id3():
    import mutagen.id3  # lazy: its frame specs take tens of ms to import; only rendering an episode tags a file

    return mutagen.id3


def language_code(language: str) -> str:
    return _LANG.get(language.split("-")[0].lower(), "und")


def write_tags(path: Path, tags: EpisodeTags) -> None:
    """Replace the file's ID3 tag with these tags (ID3v2.3: only v2.3 frames)."""
    F = _id3()
    id3 = F.ID3()
    id3.add(F.TIT2(encoding=3, text=tags.title))
    id3.add(F.TPE1(encoding=3, text=tags.artist))
    id3.add(F.TPE2(encoding=3, text=tags.artist))
    id3.add(F.TALB(encoding=3, text=tags.album))
    id3.add(F.TDRC(encoding=3, text=tags.date))
    id3.add(F.TCON(encoding=3, text="Podcast"))
    id3.add(F.PCST(value=1))
    lang = language_code(tags.language)
    if tags.language:
        id3.add(F.TLAN(encoding=3, text=lang))
    if tags.copyright:
        id3.add(F.TCOP(encoding=3, text=tags.copyright))
    if tags.track is not None:
        id3.add(F.TRCK(encoding=3, text=str(tags.track)))
    if tags.length_ms is not None:
        id3.add(F.TLEN(encoding=3, text=str(int(tags.length_ms))))
    if tags.description:
        id3.add(F.COMM(encoding=3, lang=lang, desc="", text=tags.description))
    cover = tags.cover.read_bytes() if isinstance(tags.cover, Path) and tags.cover.is_file() else tags.cover
    if isinstance(cover, bytes) and cover:
        mime = "image/png" if cover.startswith(b"\x89PNG") else "image/jpeg"
        id3.add(F.APIC(encoding=3, mime=mime, type=3, desc="Cover", data=cover))
    add_chapters(id3, tags.chapters)
    id3.update_to_v23()  # TDRC exists only in v2.4: as TYER (+ TDAT) players reading v2.3 see the date
    id3.save(path, v2_version=3)
    if tags.chapters:
        chapters_in_time_order(path)


def chapters_in_time_order(path: Path) -> None:
    """Reorder the frames of the file's ID3v2.3 tag in place: other frames as mutagen wrote them,
    then the CTOC frames, the CHAP frames by start time, the pictures last (same bytes, same size)."""
    with open(path, "r+b") as f:
        head = f.read(10)
        if len(head) < 10 or head[:3] != b"ID3" or head[3] != 3 or head[5] != 0:
            raise ValueError(f"{path}: not an ID3v2.3 tag without flags (as mutagen writes it)")
        size = head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9]  # syncsafe: 7 bits a byte
        body = f.read(size)
        frames, pos = [], 0
        while pos + 10 <= len(body) and body[pos] != 0:  # zeros after the frames are padding
            end = pos + 10 + int.from_bytes(body[pos + 4 : pos + 8], "big")
            if end > len(body):
                raise ValueError(f"{path}: an ID3 frame runs past the tag")
            frames.append(body[pos:end])
            pos = end
        ordered = sorted(enumerate(frames), key=lambda nf: _frame_rank(*nf))
        f.seek(10)
        f.write(b"".join(frame for _, frame in ordered))


def _frame_rank(n: int, frame: bytes) -> tuple[int, int]:
    kind = frame[:4]
    if kind == b"CHAP":  # element ID (NUL-terminated), then the start time in ms
        data = frame[10:]
        at = data.index(b"\0") + 1
        return 2, int.from_bytes(data[at : at + 4], "big")
    return {b"CTOC": 1, b"APIC": 3}.get(kind, 0), n


CTOC_MAX = 255  # an ID3 CTOC lists at most 255 children


def add_chapters(id3, chapters: list[Chapter]) -> None:
    """One CHAP per chapter (title, link) and a top-level ordered CTOC listing them.

    Over 255 chapters, the top-level CTOC lists ordered sub-CTOCs of up to 255 CHAPs each.
    """
    F = _id3()
    if not chapters:
        return
    ids = [f"chp{n}" for n in range(1, len(chapters) + 1)]
    for element_id, ch in zip(ids, chapters):
        sub = [F.TIT2(encoding=3, text=ch.title)]
        if ch.url:
            sub.append(F.WXXX(encoding=3, desc="", url=ch.url))
        id3.add(F.CHAP(
            element_id=element_id, start_time=int(ch.start_ms), end_time=int(ch.end_ms),
            start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF, sub_frames=sub,
        ))
    if len(ids) > CTOC_MAX:
        groups = [ids[i : i + CTOC_MAX] for i in range(0, len(ids), CTOC_MAX)]
        if len(groups) > CTOC_MAX:
            raise ValueError(f"{len(ids)} chapters: ID3 tags hold at most {CTOC_MAX * CTOC_MAX}")
        for n, group in enumerate(groups, start=1):
            id3.add(F.CTOC(element_id=f"toc{n}", flags=F.CTOCFlags.ORDERED, child_element_ids=group,
                         sub_frames=[F.TIT2(encoding=3, text=f"Chapters {n}")]))
        ids = [f"toc{n}" for n in range(1, len(groups) + 1)]
    id3.add(F.CTOC(
        element_id="toc", flags=F.CTOCFlags.TOP_LEVEL | F.CTOCFlags.ORDERED,
        child_element_ids=ids, sub_frames=[F.TIT2(encoding=3, text="Chapters")],
    ))


def read_tags(path: Path) -> dict[str, str]:
    F = _id3()
    id3 = F.ID3(path)
    return {key: str(frame) for key, frame in id3.items() if not key.startswith(("APIC", "CHAP", "CTOC"))}


def read_chapters(path: Path) -> list[Chapter]:
    """Chapters in the order of the top-level CTOC."""
    F = _id3()
    id3 = F.ID3(path)
    tocs = {f.element_id: f for f in id3.getall("CTOC")}
    top = [f for f in tocs.values() if f.flags & F.CTOCFlags.TOP_LEVEL]
    chaps = {f.element_id: f for f in id3.getall("CHAP")}
    order = top[0].child_element_ids if top else sorted(chaps, key=lambda k: chaps[k].start_time)
    order = [c for e in order for c in (tocs[e].child_element_ids if e in tocs else [e])]  # nested CTOCs
    out = []
    for element_id in order:
        f = chaps[element_id]
        title = f.sub_frames.get("TIT2")
        urls = f.sub_frames.getall("WXXX")
        out.append(Chapter(f.start_time, f.end_time, str(title) if title else "", urls[0].url if urls else ""))
    return out
