"""Pause Python's cyclic garbage collector around bulk work.

Parsing a big script or loading thousands of manifests makes millions of small
acyclic objects; the cyclic GC would rescan them again and again (super-linear
time). Reference counting still frees them; cycles are collected afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
