"""jieba with a fast start: its prefix dictionary kept compactly per user, loaded per first character.

jieba's own start loads all ~500,000 dictionary entries from a marshal file in the temp
dir (about 0.7 s a process) after importing pkg_resources (0.2 s). Here the same entries
(built once by jieba's own `gen_pfdict`) live in the user's cache dir, grouped by first
character, and a group is loaded when a text to cut holds that character. jieba only
looks up substrings of the text it cuts, so its words are exactly the same.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import tempfile
import threading
from array import array
from pathlib import Path

from studio.core.fsutil import atomic_write_bytes

_FORMAT = 2  # words joined by newlines, counts as int64


class LazyDictionary:
    """jieba's default tokenizer, its FREQ filled group by group (`need(text)` before cutting `text`)."""

    def __init__(self, jieba) -> None:
        self.tokenizer = jieba.dt
        total, self.groups = _load_groups(jieba)
        self.tokenizer.FREQ, self.tokenizer.total = {}, total
        self.tokenizer.initialized = True
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def need(self, text: str) -> None:
        if not set(text) - self.seen:  # a character is marked seen only once its group is in FREQ
            return
        with self.lock:
            new = set(text) - self.seen
            freq = self.tokenizer.FREQ
            for ch in new:
                group = self.groups.pop(ch, None)
                if group is not None:
                    words, counts = group
                    freq.update(zip(words.decode("utf-8").split("\n"), array("q", counts)))
            self.seen |= new


def import_jieba():
    """`import jieba` without its pkg_resources import (it then opens its files by path, the same files)."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba  # lazy: jieba and its dictionary load only for Chinese text

        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail fast
    try:
        import jieba  # lazy: jieba and its dictionary load only for Chinese text
    finally:
        del sys.modules["pkg_resources"]
    return jieba


def cache_file(jieba) -> Path:
    """The compact dictionary for this jieba and dictionary file, in the user's cache dir."""
    dict_file = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    st = dict_file.stat()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "studio" / f"jieba-{jieba.__version__}-{st.st_size}-{st.st_mtime_ns}-v{_FORMAT}.dict"


def _load_groups(jieba) -> tuple[int, dict[str, tuple[bytes, bytes]]]:
    path = cache_file(jieba)
    places = (path, Path(tempfile.gettempdir()) / path.name)  # the temp dir when the cache dir is not writable
    for place in places:
        try:
            total, groups = marshal.loads(place.read_bytes())
            if isinstance(total, int) and isinstance(groups, dict):
                return total, groups
        except Exception:  # noqa: BLE001 - none yet, or unreadable: build it
            pass
    tokenizer = jieba.dt
    freq, total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
    groups = _grouped(freq)
    data = marshal.dumps((total, groups))
    for place in places:
        try:
            atomic_write_bytes(place, data)
        except OSError:
            continue  # neither writable: the next process builds it again
        for old in place.parent.glob("jieba-*.dict"):  # earlier jieba or format versions
            if old != place:
                with contextlib.suppress(OSError):
                    old.unlink()
        break
    return total, groups


def _grouped(freq: dict[str, int]) -> dict[str, tuple[bytes, bytes]]:
    by_first: dict[str, list[str]] = {}
    for word in freq:
        by_first.setdefault(word[0], []).append(word)
    return {ch: ("\n".join(words).encode("utf-8"), array("q", [freq[w] for w in words]).tobytes())
            for ch, words in by_first.items()}
