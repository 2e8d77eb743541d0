"""Feed push after a publish: a WebSub ping to the hub, a Podcast Index pubnotify ping.

A failed ping is a warning, never a failed publish: the feed is already out.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from studio.core import urls

TIMEOUT = 10.0


def _send(req: urllib.request.Request, what: str) -> str | None:
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            resp.read(4096)
    except urllib.error.HTTPError as e:
        return f"{what} answered {e.code} {e.reason}"
    except (urllib.error.URLError, OSError, ValueError) as e:
        return f"{what} not reachable ({getattr(e, 'reason', None) or e})"
    return None


def websub_ping(hub: str, feed_url: str) -> str | None:
    """hub.mode=publish (WebSub 1.0 / PubSubHubbub); hubs answer 2xx. Returns a warning or None."""
    data = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
    req = urllib.request.Request(hub, data=data, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    return _send(req, f"WebSub hub {hub}")


def pubnotify_ping(endpoint: str, feed_url: str) -> str | None:
    """Podcast Index: GET /api/1.0/hub/pubnotify?url=FEED. Returns a warning or None."""
    sep = "&" if "?" in endpoint else "?"
    req = urllib.request.Request(endpoint + sep + urllib.parse.urlencode({"url": feed_url}),
                                 headers={"User-Agent": "Studio"})
    return _send(req, f"Podcast Index pubnotify {endpoint}")


def push(show) -> list[str]:
    """Ping what show.toml's [feed] names; the warnings of those that failed."""
    feed_url = urls.feed(show)
    warnings = []
    if show.feed.hub:
        warnings.append(websub_ping(show.feed.hub, feed_url))
    if show.feed.pubnotify:
        warnings.append(pubnotify_ping(show.feed.pubnotify, feed_url))
    return [w for w in warnings if w]
