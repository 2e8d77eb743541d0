"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _find_seeds() -> Path | None:
    if os.environ.get("STUDIO_SEEDS"):
        return Path(os.environ["STUDIO_SEEDS"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "seeds"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The read-only seed scripts: $STUDIO_SEEDS, else the nearest `shared/seeds` above the tests."""
    found = _find_seeds()
    if found is None or not found.is_dir():
        pytest.fail("seed scripts not found: set STUDIO_SEEDS or clone with shared/seeds next to the repo")
    return found
