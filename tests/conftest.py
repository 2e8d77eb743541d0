"""Shared fixtures: a throwaway copy of the show, a way to run the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devtools.showkit import REPO, SEEDS, find_seeds, make_show  # noqa: F401  (tests import them from here)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


_EMPTY_DIR = tempfile.mkdtemp(prefix="studio-empty-path-")


def bare_env() -> dict[str, str]:
    """An environment whose PATH holds no ffmpeg, ffprobe or espeak-ng."""
    empty = _EMPTY_DIR
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env["PATH"] = str(empty)
    env["STUDIO_EDGE_WSS_URL"] = "ws://127.0.0.1:9/unreachable"  # loopback only, nothing listens
    return env


def run_studio(args: list[str], cwd: Path, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        cwd=cwd, env=env or bare_env(), capture_output=True, text=True, timeout=900, **kw,
    )


@pytest.fixture
def show_dir(tmp_path: Path) -> Path:
    return make_show(tmp_path)


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Assert exit status 1 and exactly one line on stderr (no traceback) containing every needle."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    for needle in needles:
        assert needle in line, line
    return line


@pytest.fixture(scope="session")
def examples_built(tmp_path_factory) -> Path:
    """The repo's show with every example episode built cold (offline voice), once per session (per xdist
    worker): the golden files compare its output, and modules that need the examples built start from its cache."""
    root = make_show(tmp_path_factory.mktemp("examples"))
    proc = run_studio(["build", "--engine", "espeak", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture(scope="session")
def warm_show(examples_built):
    """make_show(dest) plus the examples' clip and mastering cache: building an example there re-encodes nothing
    (the same outputs as a cold build, which tests/test_golden.py checks; the cold-build tests use make_show)."""

    def make(dest: Path) -> Path:
        make_show(dest)
        shutil.copytree(examples_built / ".studio-cache", dest / ".studio-cache")
        return dest

    return make
