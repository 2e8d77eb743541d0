"""In watch mode the email preview and the pages load the show's own images and links from the
preview server, not from base_url (a placeholder, or the live site) (issue 27.6)."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

from studio.core.config import load_show
from tests.host_loop_support import get, loop_show, script, status_of, wait_for, watch_server

ITEMS = [("第一条", "第一条新闻的内容。"), ("第二条", "第二条新闻的内容。")]
ATTR = re.compile(r'\b(?:src|href|background)="([^"]*)"')


def head(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Type", "")


def test_watch_serves_the_emails_and_pages_own_images_and_links_locally(tmp_path: Path):
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    public = load_show(root / "show.toml").site_url
    assert public.startswith("https://")  # the placeholder of the example show
    with watch_server(root, tmp_path / "stderr.txt") as (port, _, _):
        wait_for(lambda: status_of(port)["episodes"].get("episodes/a.md", {}).get("status") == "built")
        built = (root / ".studio-preview" / "episodes" / "one" / "email.html").read_text("utf-8")
        assert f'src="{public}icon-180.png"' in built  # the built email is as it will be sent

        frame = get(port, "/__studio/email/one/frame?dark=0")[1]
        links = ATTR.findall(frame)
        assert not [u for u in links if u.startswith(public)], links
        assert 'src="/icon-180.png"' in frame  # the masthead image, from the preview
        local = {u.split("#")[0] for u in links if u.startswith("/")}
        assert "/episodes/one/" in local, local
        assert any(u.startswith("/episodes/one/#t=") for u in links), links  # each item's listen link, on the preview
        for url in local:
            status, ctype = head(port, url)
            assert status == 200, url
        assert head(port, "/icon-180.png")[1] == "image/png"

        page = get(port, "/episodes/one/")[1]
        assert not [u for u in ATTR.findall(page) if u.startswith(public)]
        assert 'href="/feed.xml"' in page and head(port, "/feed.xml")[0] == 200
        assert public + "feed.xml" in page  # the address a reader sees and copies stays the public one
