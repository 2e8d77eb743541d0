"""CSV export of the store: every column of the consent record; with one address, its history too."""

from __future__ import annotations

import csv
import io

from studio.subscribers.listfile import guard_cell
from studio.subscribers.store import STORE_COLUMNS, Store


def export_csv(store: Store, status: str | None = None, email: str | None = None) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STORE_COLUMNS + (("history",) if email else ()))
    for row in store.rows(status, email):
        cells = ["" if row[c] is None else guard_cell(str(row[c])) for c in STORE_COLUMNS]  # no formulas (CSV injection)
        if email:
            cells.append(guard_cell("; ".join(f"{e['at']} {e['kind']} {e['detail']}".strip()
                                            for e in store.events(email))))
        writer.writerow(cells)
    return out.getvalue()
