"""The web site: index.html listing episodes, one page per episode."""

from __future__ import annotations

from typing import Any

from studio import urls
from studio.config import Show
from studio.templating import environment


def render_index(show: Show, manifests: list[dict[str, Any]]) -> str:
    episodes = [
        dict(m, page_rel=urls.episode_dir(m["slug"]), audio_rel=urls.episode_dir(m["slug"]) + m["audio"]["file"])
        for m in manifests
    ]
    tpl = environment(show).get_template("index.html.j2")
    return tpl.render(show=show, episodes=episodes, feed_url=urls.feed(show))


def render_episode_page(show: Show, context: dict[str, Any]) -> str:
    return environment(show).get_template("episode.html.j2").render(**context)
