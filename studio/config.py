"""show.toml: the show's settings, loaded into validated dataclasses.

Each section is a dataclass; add a field (with a default) to add a setting.
Errors name the file, the key and the problem on one line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from studio.errors import ConfigError

SHOW_FILE = "show.toml"
_REQUIRED = "required"


@dataclass
class SpeechConfig:
    engine: str = "auto"  # auto | edge | espeak
    jobs: int = 4
    cache_dir: str = ".studio-cache"


@dataclass
class AudioConfig:
    gap: float = 0.6  # seconds of silence between items
    bitrate: int = 96  # kbps, CBR
    channels: int = 1  # 1 = mono, 2 = stereo
    sample_rate: int = 44100
    intro: str = "assets/intro.mp3"  # "" = no intro jingle
    outro: str = "assets/outro.mp3"  # "" = no outro jingle
    stinger: str = ""  # short sound between sections; "" = off
    music_under: float = 1.5  # seconds the intro music keeps fading under the first speech
    fade_in: float = 0.0  # fade-in of the intro jingle, seconds
    fade_out: float = 1.0  # fade-out at the end of the outro jingle, seconds
    music_level: float = -4.0  # jingle loudness relative to the speech, LU
    level_items: bool = True  # bring every item's speech to the same loudness
    loudness: float = -16.0  # integrated loudness target, LUFS (-19 is usual for mono)
    true_peak: float = -1.0  # true-peak ceiling, dBTP


@dataclass
class Show:
    title: str = field(default=_REQUIRED)
    description: str = field(default=_REQUIRED)
    author: str = field(default=_REQUIRED)
    owner_email: str = field(default=_REQUIRED)
    base_url: str = field(default=_REQUIRED)
    language: str = "zh-CN"
    cover: str = "assets/cover.jpg"
    category: str = "Technology"
    subcategory: str = ""
    explicit: bool = False
    voice: str = "zh-CN-XiaoxiaoNeural"
    output_dir: str = "public"
    copyright: str = ""
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    # where show.toml was read from; relative paths resolve against it
    root: Path = field(default=Path("."), metadata={"internal": True})

    def path(self, rel: str | Path) -> Path:
        return (self.root / rel).resolve()

    @property
    def out_dir(self) -> Path:
        return self.path(self.output_dir)

    @property
    def site_url(self) -> str:
        return self.base_url.rstrip("/") + "/"


_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def _check_show(show: Show, path: Path) -> None:
    if not show.base_url.startswith(("https://", "http://")):
        raise ConfigError(f"key 'base_url': must be an absolute URL, got {show.base_url!r}", path)
    if not _EMAIL.match(show.owner_email):
        raise ConfigError(f"key 'owner_email': not an email address: {show.owner_email!r}", path)
    if show.speech.engine not in ("auto", "edge", "espeak"):
        raise ConfigError(
            f"key 'speech.engine': must be auto, edge or espeak, got {show.speech.engine!r}", path
        )
    if show.speech.jobs < 1:
        raise ConfigError("key 'speech.jobs': must be at least 1", path)
    check_audio(show.audio, path)


MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def check_audio(audio: AudioConfig, path: Path, prefix: str = "audio.") -> None:
    """Range checks for an [audio] table (show.toml or an episode's front matter)."""
    def bad(key: str, problem: str) -> ConfigError:
        return ConfigError(f"key '{prefix}{key}': {problem}", path)

    for key in ("gap", "music_under", "fade_in", "fade_out"):
        if not 0 <= getattr(audio, key) <= 60:
            raise bad(key, f"must be between 0 and 60 seconds, got {getattr(audio, key)}")
    if audio.bitrate not in MP3_BITRATES:
        raise bad("bitrate", f"must be an MP3 bitrate ({', '.join(map(str, MP3_BITRATES))}), got {audio.bitrate}")
    if audio.channels not in (1, 2):
        raise bad("channels", f"must be 1 (mono) or 2 (stereo), got {audio.channels}")
    if audio.sample_rate not in (44100, 48000):
        raise bad("sample_rate", f"must be 44100 or 48000, got {audio.sample_rate}")
    if not -30 <= audio.loudness <= -10:
        raise bad("loudness", f"must be between -30 and -10 LUFS, got {audio.loudness}")
    if not -9 <= audio.true_peak <= 0:
        raise bad("true_peak", f"must be between -9 and 0 dBTP, got {audio.true_peak}")
    if not -30 <= audio.music_level <= 10:
        raise bad("music_level", f"must be between -30 and 10 LU, got {audio.music_level}")


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


def load_section(cls: type, data: dict[str, Any], path: Path, prefix: str = "") -> Any:
    """Build dataclass `cls` from a TOML table, checking keys and types."""
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"key '{prefix}{key}': unknown setting{hint}", path)
    kwargs: dict[str, Any] = {}
    for name, f in known.items():
        hint = hints[name]
        if name not in data:
            if f.default == _REQUIRED:
                raise ConfigError(f"key '{prefix}{name}': missing (required)", path)
            continue
        value = data[name]
        if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
            if not isinstance(value, dict):
                raise ConfigError(f"key '{prefix}{name}': must be a table [{prefix}{name}]", path)
            kwargs[name] = load_section(hint, value, path, f"{prefix}{name}.")
            continue
        if not _type_ok(value, hint):
            raise ConfigError(
                f"key '{prefix}{name}': must be {_type_name(hint)}, got {value!r}", path
            )
        if hint is float:
            value = float(value)
        if isinstance(value, str) and f.default == _REQUIRED and not value.strip():
            raise ConfigError(f"key '{prefix}{name}': must not be empty", path)
        kwargs[name] = value
    return cls(**kwargs)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("file not found", path) from None
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path) from None
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
    path = Path(path)
    data = read_toml(path)
    show = load_section(Show, data, path)
    show.root = path.resolve().parent
    _check_show(show, path)
    return show
