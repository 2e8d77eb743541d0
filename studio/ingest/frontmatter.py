"""Front matter: TOML between +++ lines or YAML between --- lines."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from studio.core.errors import ScriptError


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """Return (metadata, body, line number where the body starts)."""
    first = text.split("\n", 1)[0].strip()
    if first not in ("+++", "---"):
        return {}, text, 1
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].strip() == first:
            break
    else:
        if first == "---":  # a leading markdown rule, not front matter
            return {}, text, 1
        raise ScriptError("front matter opened with +++ is never closed", path, 1)
    block = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    meta = _parse_toml(block, path) if first == "+++" else _parse_yaml(block, path)
    return meta, body, end + 2


def _parse_toml(block: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(block)
    except RecursionError:
        raise ScriptError("front matter TOML refused: nested too deeply", path, 2) from None
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        msg = re.sub(r"\s*\(at (?:line|end of document).*\)", "", str(e))
        if m:
            line: int | None = int(m.group(1)) + 1
        elif "end of document" in str(e):
            line = len(block.rstrip("\n").split("\n")) + 1  # the block's last line
        else:
            line = None
        raise ScriptError(f"front matter TOML error: {msg}", path, line) from None


MAX_YAML_ALIASES = 100  # *references in one front matter; a "billion laughs" needs many, nesting them
MAX_YAML_NODES = 20_000  # values in the front matter once every alias is expanded


class _AliasBomb(Exception):
    pass


def _loader(block: str):
    import yaml  # lazy: PyYAML only for YAML front matter

    class Loader(yaml.SafeLoader):
        """SafeLoader that refuses more than MAX_YAML_ALIASES aliases."""

        aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    raise _AliasBomb(f"more than {MAX_YAML_ALIASES} aliases (*name)")
            return super().compose_node(parent, index)

    return Loader(block)


def _expanded_size(data: Any, budget: int) -> int:
    """Values in `data` counting every alias expansion; stops once past `budget`."""
    count, stack = 0, [data]
    while stack and count <= budget:
        value = stack.pop()
        count += 1
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            stack.extend(value)
    return count


def _parse_yaml(block: str, path: Path) -> dict[str, Any]:
    import yaml  # lazy: PyYAML only for YAML front matter

    loader = _loader(block)
    try:
        data = loader.get_single_data()
        if _expanded_size(data, MAX_YAML_NODES) > MAX_YAML_NODES:
            raise _AliasBomb(f"more than {MAX_YAML_NODES:,} values once aliases are expanded")
    except _AliasBomb as e:
        raise ScriptError(f"front matter YAML refused: {e} (an alias bomb?)", path, 2) from None
    except RecursionError:
        raise ScriptError("front matter YAML refused: nested too deeply", path, 2) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ScriptError(f"front matter YAML error: {problem}", path, line) from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScriptError("front matter must be a table of key: value pairs", path, 2)
    return data
