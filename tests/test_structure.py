"""The package's shape: what a maintainer relies on when reading a file's header, and what a wheel carries.

The stages' import order itself is import-linter's contract in pyproject.toml (`make test` runs it).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

STUDIO = REPO / "studio"


def _modules() -> list[Path]:
    return sorted(STUDIO.rglob("*.py"))


def _function_imports(path: Path):
    tree = ast.parse(path.read_text("utf-8"))
    lines = path.read_text("utf-8").splitlines()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    yield node, lines[node.lineno - 1]


def test_studio_modules_are_imported_at_the_top_of_the_file():
    inside = []
    for path in _modules():
        for node, line in _function_imports(path):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if getattr(node, "level", 0) or any(n == "studio" or n.startswith("studio.") for n in names):
                inside.append(f"{path.relative_to(REPO)}:{node.lineno}: {line.strip()}")
    assert not inside, "import these at the top of the file:\n" + "\n".join(inside)


def test_every_lazy_import_says_why():
    """A heavy library imported inside a function carries a one-line reason: `# lazy: ...`."""
    silent = []
    for path in _modules():
        for node, line in _function_imports(path):
            if "# lazy:" not in line and "# noqa" not in line:
                silent.append(f"{path.relative_to(REPO)}:{node.lineno}: {line.strip()}")
    assert not silent, "say why with `# lazy: ...` or import at the top:\n" + "\n".join(silent)


def test_the_package_list_names_every_package():
    declared = set(tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in STUDIO.rglob("__init__.py")}
    assert found - declared == set(), "add them to [tool.setuptools] packages in pyproject.toml"
    assert {"studio.templates", "studio.assets"} <= declared


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(dist), str(REPO)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (found,) = dist.glob("studio-*.whl")
    return found


def test_the_wheel_carries_templates_assets_and_no_dev_tools(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.name for p in (REPO / "templates").glob("*.j2")}
    assets = {p.name for p in (REPO / "assets").iterdir() if p.suffix in (".jpg", ".mp3")}
    assert {f"studio/templates/{t}" for t in templates} <= names
    assert {f"studio/assets/{a}" for a in assets} <= names
    data = {str(p.relative_to(REPO)) for p in STUDIO.rglob("*.json")}  # the voice list, the segmenter's model
    assert data and data <= names
    assert not any(n.startswith(("devtools/", "tests/", "benchmarks/", "devtools/")) for n in names)
    modules = {str(p.relative_to(REPO)) for p in _modules()}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)[:5]}"


def test_every_command_is_found_where_the_cli_looks_for_it():
    """The CLI imports a command's module on first use: a command missing from COMMAND_MODULES would vanish."""
    probe = ("import importlib, pkgutil, studio.cli as c\n"
             "from studio.cli.app import COMMAND_MODULES, cli\n"
             "where = {}\n"
             "for m in pkgutil.iter_modules(c.__path__):\n"
             "    before = set(cli.commands)\n"
             "    importlib.import_module(f'studio.cli.{m.name}')\n"
             "    where.update({name: m.name for name in set(cli.commands) - before})\n"
             "assert where == COMMAND_MODULES, (where, COMMAND_MODULES)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
