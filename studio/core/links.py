"""Which links from a script may be published, and in what form.

An email links only absolute https URLs (http is upgraded, `//host` gets https:); a feed
or page keeps http, https and mailto links. Anything else (javascript:, data:, relative)
is never linked.
"""

from __future__ import annotations

import re

from studio.core.lazy import lazy_pattern

CONTROL = lazy_pattern(r"[\x00-\x1f\x7f]")


def https_link(url: str | None) -> str | None:
    """The URL as an absolute https URL, or None when it must not be linked."""
    if not url:
        return None
    url = CONTROL.sub("", url).strip()
    low = url.lower()
    if low.startswith("//"):
        url, low = "https:" + url, "https:" + low
    elif low.startswith("http://"):
        url, low = "https://" + url[7:], "https://" + low[7:]
    if not low.startswith("https://") or len(url) <= 8 or any(c in url for c in ' "<>\\'):
        return None
    return url


def web_link(url: str) -> str | None:
    """Only http(s) and mailto links reach a feed or page (no javascript: and the like)."""
    url = (url or "").strip()
    return url if url[:8].lower().startswith(("http://", "https://", "mailto:")) else None
