"""Atomic writes and the output-dir lock: a failed run never leaves half a file."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

TMP_PREFIX = ".studio-tmp-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp alone gives 0600


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it over `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=suffix or path.suffix, dir=path.parent)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(dir_path: Path, name: str = ".studio.lock") -> Iterator[None]:
    """Exclusive lock on an output dir, so concurrent builds serialise their writes."""
    dir_path = Path(dir_path)
    dir_path.mkdir(parents=True, exist_ok=True)
    with open(dir_path / name, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def remove_stale_temps(dir_path: Path, recursive: bool = True) -> None:
    """Remove temp files a killed run left behind (call while holding the dir's lock)."""
    pattern = TMP_PREFIX + "*"
    found = Path(dir_path).rglob(pattern) if recursive else Path(dir_path).glob(pattern)
    for p in found:
        with contextlib.suppress(OSError):
            p.unlink()


def inside(path: Path | str, root: Path | str) -> bool:
    """Whether `path`, once every symlink is followed, is `root` or inside it."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def leads_out(path: Path | str, root: Path | str) -> bool:
    """Whether `path`, named inside `root`, is a link (or under one) to somewhere outside `root`.
    A path named outside `root` is the caller's own choice: False."""
    named = Path(os.path.abspath(path))
    if not (named.is_relative_to(os.path.abspath(root)) or named.is_relative_to(os.path.realpath(root))):
        return False
    return not inside(named, root)


def read_utf8(path: Path, error: type, not_utf8: str = "not UTF-8 text") -> str:
    """A UTF-8 text file (BOM dropped); `error(message, path)` names what went wrong."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise error("file not found", path) from None
    except OSError as e:
        raise error(f"cannot read: {e.strerror}", path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(not_utf8, path) from None
