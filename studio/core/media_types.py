"""Content-Type and Cache-Control of every file Studio writes (one table for `serve` and `publish`)."""

from __future__ import annotations

import mimetypes
import posixpath

from studio.core.layout import FEED

CHAPTERS_TYPE = "application/json+chapters"  # Podcasting 2.0 JSON chapters
TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
    ".vtt": "text/vtt; charset=utf-8", ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".eml": "message/rfc822", ".css": "text/css; charset=utf-8",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif",
}
FEED_TYPE = "application/rss+xml; charset=utf-8"
AUDIO_SUFFIXES = {".mp3", ".m4a", ".ogg", ".opus", ".wav"}
IMAGES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
MEDIA = AUDIO_SUFFIXES | IMAGES

SHORT = "public, max-age=300"  # the feed, pages and side files: a new build shows within 5 minutes
IMAGE = "public, max-age=86400"  # cover art keeps its name: a day
IMMUTABLE = "public, max-age=31536000, immutable"  # audio: a changed file gets a new URL (?v=<hash>, clips/NNN-<hash>)


def content_type(rel: str) -> str:
    name = posixpath.basename(rel)
    if name == FEED:
        return FEED_TYPE
    if name.startswith("chapters") and name.endswith(".json"):
        return CHAPTERS_TYPE
    ext = posixpath.splitext(name)[1].lower()
    return TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def cache_control(rel: str) -> str:
    ext = posixpath.splitext(rel)[1].lower()
    if ext in AUDIO_SUFFIXES:
        return IMMUTABLE
    return IMAGE if ext in IMAGES else SHORT
