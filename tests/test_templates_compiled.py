"""Templates are compiled once per show, in its cache folder, and compiled again when edited."""

from __future__ import annotations

import shutil
from pathlib import Path

from studio.core.config import load_show
from studio.core.resources import BUILTIN_TEMPLATES
from studio.present.templating import environment
from tests.conftest import make_show

NAME = "_footer.html.j2"


def _load(show, forbid_compile: bool = False):
    env = environment(show)
    if forbid_compile:
        env.compile = lambda *a, **k: (_ for _ in ()).throw(AssertionError("compiled again"))
    return env.get_template(NAME)


def test_a_second_process_loads_compiled_templates_and_an_edited_one_compiles_again(tmp_path: Path):
    root = make_show(tmp_path)
    show = load_show(root / "show.toml")
    _load(show)  # a first build: compiles and stores
    stored = list((root / ".studio-cache" / "templates").iterdir())
    assert stored and all(p.stat().st_size > 0 for p in stored)
    _load(show, forbid_compile=True)  # a fresh environment (as in the next build) compiles nothing

    (root / "templates").mkdir(exist_ok=True)
    shutil.copy(BUILTIN_TEMPLATES / NAME, root / "templates" / NAME)
    edited = root / "templates" / NAME
    edited.write_text(edited.read_text("utf-8") + "\n<p>模板已改</p>\n", "utf-8")
    compiled = []
    env = environment(show)
    real = env.compile
    env.compile = lambda *a, **k: compiled.append(a) or real(*a, **k)
    env.get_template(NAME)
    assert compiled and "模板已改" in compiled[0][0]  # the edit compiled, not the stored old one
    # (that a build's output then shows the edit: tests/test_noop_rebuild.py)


def test_an_unwritable_cache_folder_costs_only_the_compile(tmp_path: Path):
    root = make_show(tmp_path)
    (root / ".studio-cache").write_text("a file where the cache folder would be", "utf-8")
    show = load_show(root / "show.toml")
    assert environment(show).get_template("email.html.j2") is not None
