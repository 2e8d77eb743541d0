"""What loads on first use: a heavy third-party module (importlib's LazyLoader), for a library a whole
package works with but most commands never touch (numpy, for the host's own recordings); a module's
regular expressions, compiled when first run."""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name`, imported when one of its attributes is first used (at once when already imported)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class LazyPattern:
    """A regular expression compiled on first use: importing a module costs nothing for the patterns a
    command never runs (a no-op rebuild runs none). Once compiled, its methods are plain attributes."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str):
        compiled = re.compile(*self._source)
        for attr in _PATTERN_ATTRS:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_pattern({self._source[0]!r})"


_PATTERN_ATTRS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer",
                  "pattern", "flags", "groups", "groupindex")


def lazy_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile(pattern, flags), done when the pattern is first used."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]
