"""CSV export of the store: every column of the consent record; with one address, its history too."""

from __future__ import annotations

import csv
import io

from studio.subscribers.store import COLUMNS, Store


def export_csv(store: Store, status: str | None = None, email: str | None = None) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + (("history",) if email else ()))
    for row in store.rows(status, email):
        cells = ["" if row[c] is None else _safe(str(row[c])) for c in COLUMNS]
        if email:
            cells.append(_safe("; ".join(f"{e['at']} {e['kind']} {e['detail']}".strip() for e in store.events(email))))
        writer.writerow(cells)
    return out.getvalue()


def _safe(cell: str) -> str:
    """No spreadsheet formulas from names people typed into a form (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
