"""Turn a script file's bytes into clean text (encoding, BOM, line endings)."""

from __future__ import annotations

from pathlib import Path

from studio.core.errors import ScriptError


def read_script_text(path: Path) -> str:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScriptError("file not found", path) from None
    except IsADirectoryError:
        raise ScriptError("is a directory, expected an episode script", path) from None
    except OSError as e:
        raise ScriptError(f"cannot read: {e.strerror}", path) from None
    text = decode_bytes(raw, path).lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ScriptError("the script is empty", path)
    return text


def decode_bytes(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")  # the BOM says which byte order
        except UnicodeDecodeError:
            raise ScriptError("broken UTF-16 text; save it as UTF-8", path) from None
        if "\x00" in text:
            raise ScriptError(_nul_message(text.index("\x00"), "character"), path)
        return text
    if b"\x00" in raw:  # anywhere, not only near the start
        raise ScriptError(_nul_message(raw.index(b"\x00"), "byte"), path)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if _looks_chinese(text):
            return text
    except UnicodeDecodeError:
        pass
    if _looks_latin1(raw):
        raise ScriptError("not valid UTF-8 text (Latin-1 or Windows-1252?); save it as UTF-8", path)
    raise ScriptError("not valid UTF-8 or GB18030/GBK text; save it as UTF-8", path)


def _nul_message(at: int, unit: str) -> str:
    if at < 8192:
        return "binary data, not a text script"
    return f"binary data, not a text script (a NUL {unit} at offset {at:,})"


def _looks_latin1(raw: bytes) -> bool:
    sample = raw[:65536]
    high = sum(1 for b in sample if b >= 0x80)
    return 0 < high * 4 < len(sample)


def _looks_chinese(text: str) -> bool:
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f")
    other = sum(1 for c in text if ord(c) > 127) - cjk
    return cjk > 0 and cjk >= 4 * other
