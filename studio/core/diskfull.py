"""A full disk named as the host knows it: the folder being written, never a temp file or a source file.

A copy that fails with ENOSPC names its source (shutil sets filename to it) and a temp file as
its destination, mutagen wraps the OSError in its own error, ffmpeg and the clip cache turn it into
text: `writing_into(folder)` recognises all of these and raises one DiskFullError naming the folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Iterator

from studio.core.errors import StudioError
from studio.core.fsutil import TMP_PREFIX

FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
FULL_TEXTS = tuple(os.strerror(n) for n in FULL)  # "No space left on device", "File too large", ...


class DiskFullError(StudioError):
    """No room left where the build writes."""


def is_full(exc: BaseException | None, seen: int = 0) -> bool:
    """Whether `exc`, or an error it wraps, is a full disk (or a file size limit)."""
    if exc is None or seen > 8:
        return False
    if isinstance(exc, OSError) and exc.errno in FULL:
        return True
    if any(text in str(exc) for text in FULL_TEXTS):
        return True
    wrapped = [a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)]
    return any(is_full(e, seen + 1) for e in [exc.__cause__, exc.__context__, *wrapped])


def folder_of(exc: BaseException, default: Path) -> Path:
    """The folder being written when `exc` happened: `default` (the output folder) unless the error names
    a destination elsewhere (e.g. the clip cache); never a temp file."""
    for name in (getattr(exc, "filename2", None), getattr(exc, "filename", None)):
        if isinstance(name, (str, os.PathLike)) and Path(name).name.startswith(TMP_PREFIX):
            where = Path(name).parent
            return default if where.is_relative_to(default) else where
    return default


@contextlib.contextmanager
def writing_into(folder: Path) -> Iterator[None]:
    """Turn a full disk anywhere in the block into one DiskFullError naming `folder`."""
    try:
        yield
    except DiskFullError:
        raise
    except Exception as e:
        if not is_full(e):
            raise
        where = folder_of(e, Path(folder))
        raise DiskFullError("no space left on the disk (or over the file size limit) while writing into this "
                            "folder; the files already there are intact (each is replaced whole or not at all): free some "
                            "space and build again", where) from None
