"""Reading show.toml: TOML -> the section dataclasses, every key, type and declared check verified.

Errors name the file, the key and the problem on one line. A key Studio renamed is read under
its new name, with a warning (RENAMED); an unknown key is refused with a suggestion.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from studio.core.config.sections import REQUIRED, SHOW_FILE, Show
from studio.core.errors import ConfigError
from studio.core.fsutil import read_utf8

# old dotted key -> new dotted key, for settings Studio renames: an older show.toml keeps working, read under
# the new name with a note (`show.notes`, printed by the CLI). Add a line here whenever a setting is renamed.
RENAMED: dict[str, str] = {}


def read_toml(path: Path) -> dict[str, Any]:
    text = read_utf8(path, ConfigError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        msg = re.sub(r"\s*\(at line.*\)", "", str(e))
        raise ConfigError(f"TOML syntax error: {msg}", path, int(m.group(1)) if m else None) from None


def find_show_file(start: Path) -> Path:
    """show.toml in `start` or the nearest parent that has one."""
    start = start.resolve()
    for d in [start, *start.parents]:
        if (d / SHOW_FILE).is_file():
            return d / SHOW_FILE
    raise ConfigError(f"no {SHOW_FILE} here or in any parent directory", start)


def load_show(path: Path) -> Show:
    """The show in `path` (a show.toml, whatever its name), checked; ConfigError on the first problem."""
    path = Path(path)
    data, renamed = rename_keys(read_toml(path))
    show = load_section(Show, data, path)
    show.root = path.resolve().parent
    show.file = path.resolve()
    show.set_keys = frozenset(_dotted_keys(data))
    show.notes = [f"{path}: key '{old}' is now '{new}' (renamed; read as '{new}')" for old, new in renamed]
    for key, problem in show.relations():
        raise ConfigError(f"key '{key}': {problem}", path)
    return show


def rename_keys(data: dict[str, Any], renamed: dict[str, str] | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`data` with the keys of `renamed` (RENAMED) moved to their new names (a new key already set wins)."""
    found = []
    for old, new in (RENAMED if renamed is None else renamed).items():
        *old_tables, old_key = old.split(".")
        table = _table(data, old_tables)
        if table is None or old_key not in table:
            continue
        value = table.pop(old_key)
        *new_tables, new_key = new.split(".")
        target = data
        for name in new_tables:
            target = target.setdefault(name, {})
        if isinstance(target, dict):
            target.setdefault(new_key, value)
        found.append((old, new))
    return data, found


def _table(data: dict[str, Any], names: list[str]) -> dict[str, Any] | None:
    for name in names:
        data = data.get(name)
        if not isinstance(data, dict):
            return None
    return data


def load_section(cls: type, data: dict[str, Any], path: Path, prefix: str = "") -> Any:
    """Build dataclass `cls` from a TOML table, checking keys, types and each field's declared checks."""
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"key '{prefix}{key}': unknown setting{hint}", path)
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        hint = hints[name]
        if name not in data:
            if f.default == REQUIRED:
                raise ConfigError(f"key '{prefix}{name}': missing (required)", path)
            continue
        value = data[name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"key '{prefix}{name}': must be a table [{prefix}{name}]", path)
            kwargs[name] = load_section(hint, value, path, f"{prefix}{name}.")
            continue
        if not _type_ok(value, hint):
            raise ConfigError(f"key '{prefix}{name}': must be {_type_name(hint)}, got {value!r}", path)
        if hint is float:
            value = float(value)
        if isinstance(value, str) and f.default == REQUIRED and not value.strip():
            raise ConfigError(f"key '{prefix}{name}': must not be empty", path)
        for check in f.metadata.get("checks", ()):
            problem = check.problem(value)
            if problem:
                raise ConfigError(f"key '{prefix}{name}': {problem}", path)
        kwargs[name] = value
    return cls(**kwargs)


def _type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        (arg,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(arg is Any or _type_ok(v, arg) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is Any:
        return True
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        hint, str(hint).replace("typing.", "")
    )


def _dotted_keys(table: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in table.items():
        keys.append(prefix + key)
        if isinstance(value, dict):
            keys += _dotted_keys(value, f"{prefix}{key}.")
    return keys
