"""Jinja2 environment: the show's templates/ first, then Studio's defaults, compiled once per show
(jinja2's bytecode cache, in the show's cache folder: a build compiled its 20 templates every time)."""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

from markupsafe import Markup

from studio.core.config import Show
from studio.core.resources import BUILTIN_TEMPLATES
from studio.present.labels import clock


@functools.cache
def _markdown():
    from markdown_it import MarkdownIt  # lazy: markdown-it loads only when display text is rendered

    # html=False: raw HTML in a script is shown as text; unsafe link schemes are dropped
    return MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})


def display_html(text: str) -> str:
    """An item's display text (markdown subset) as safe HTML."""
    return Markup(_markdown().render(text or ""))


@functools.cache
def _compiled_templates_cache():
    import jinja2  # lazy: jinja2 loads only when a template is rendered

    class CompiledTemplates(jinja2.FileSystemBytecodeCache):
        """Keyed by each template's source (an edited template compiles again), written atomically by
        jinja2; a folder that cannot be written (a full disk, a read-only show) only costs the compile."""

        def load_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError):  # a file where the folder would be: compile
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError):  # the folder is made when a template is first compiled
                Path(self.directory).mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)

    return CompiledTemplates


def environment(show: Show):
    import jinja2  # lazy: jinja2 loads only when a template is rendered

    dirs = [p for p in (show.path("templates"), BUILTIN_TEMPLATES) if p.is_dir()]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        bytecode_cache=_compiled_templates_cache()(str(show.path(show.speech.cache_dir) / "templates")),
        autoescape=jinja2.select_autoescape(["html", "html.j2", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["display_html"] = display_html
    env.filters["clock"] = clock
    return env
