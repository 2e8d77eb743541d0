"""Render an episode's email (HTML + plain text) from jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.config import Show
from studio.templating import environment


@dataclass
class EmailParts:
    html: str
    text: str


def render_email(show: Show, context: dict[str, Any]) -> EmailParts:
    env = environment(show)
    html = env.get_template("email.html.j2").render(**context)
    text = env.get_template("email.txt.j2").render(**context)
    return EmailParts(html=html, text=text)
