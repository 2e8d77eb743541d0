"""The subscriber list: a CSV with a header row, an `email` column and optionally `name`."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import idna

from studio.core.errors import StudioError
from studio.core.fsutil import read_utf8
from studio.core.lazy import lazy_pattern
from studio.present.content import one_line

_LOCAL = lazy_pattern(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = lazy_pattern(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula


class SubscriberError(StudioError):
    """The subscriber list cannot be read or has a bad row."""


@dataclass(frozen=True)
class Subscriber:
    email: str  # as written, with an IDNA (punycode) domain
    name: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        return self.email.lower()


def normalize_address(text: str) -> str | None:
    """`text` as a deliverable addr-spec (ASCII local part, IDNA domain), or None if it is not one.
    A non-ASCII domain is encoded by IDNA 2008 with UTS #46 mapping, non-transitional, as browsers and
    mail systems do: `straße.de` stays itself (xn--strae-oqa.de), never becomes strasse.de."""
    text = text.strip()
    if text.count("@") != 1 or len(text) > 254:
        return None
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return None
    try:
        if not domain.isascii():
            domain = idna.encode(domain.rstrip("."), uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return f"{local}@{domain}"


def guard_cell(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: a quote before one that starts like a formula
    (after any quotes of its own, so that `unguard_cell` undoes exactly this)."""
    return "'" + cell if cell.lstrip("'")[:1] in FORMULA_START else cell


def unguard_cell(cell: str) -> str:
    """The cell `guard_cell` was given: export -> import changes nothing."""
    rest = cell[1:]
    return rest if cell[:1] == "'" and rest.lstrip("'")[:1] in FORMULA_START else cell


def read_subscribers(path: Path) -> tuple[list[Subscriber], int]:
    """Subscribers in file order, duplicates (case-insensitive) dropped; returns (list, duplicates)."""
    path = Path(path)
    text = read_utf8(path, SubscriberError, "not UTF-8 text (save the CSV as UTF-8)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise SubscriberError(f"bad CSV: {e}", path, 1) from None
    columns = [h.strip().lower() for h in header or []]
    if "email" not in columns:
        raise SubscriberError("no 'email' column: the first row must be a header such as 'email,name'", path, 1)
    at_email, at_name = columns.index("email"), columns.index("name") if "name" in columns else None
    out: list[Subscriber] = []
    seen: set[str] = set()
    duplicates = 0
    while True:
        line = reader.line_num + 1  # where this record starts (a quoted field may span lines)
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise SubscriberError(f"bad CSV: {e}", path, line) from None
        if not any(cell.strip() for cell in row):
            continue
        value = unguard_cell(row[at_email]) if at_email < len(row) else ""
        address = normalize_address(value)
        if address is None:
            raise SubscriberError(f"not an email address: {one_line(value)!r}", path, line)
        if address.lower() in seen:
            duplicates += 1
            continue
        seen.add(address.lower())
        name = one_line(unguard_cell(row[at_name])) if at_name is not None and at_name < len(row) else ""
        out.append(Subscriber(address, name, line))
    return out, duplicates
