"""`studio serve`: preview the output dir over HTTP with byte ranges (206), as podcast apps and browsers seek."""

from __future__ import annotations

import email.utils
import os
import re
import shutil
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MIME_TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".opus": "audio/ogg",
    ".vtt": "text/vtt; charset=utf-8", ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".eml": "message/rfc822",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".css": "text/css; charset=utf-8",
}
FEED_TYPE = "application/rss+xml; charset=utf-8"
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(first, last) inclusive; "unsatisfiable"; or None to ignore the header and send the whole file."""
    m = _RANGE.match(header.strip().replace(" ", ""))
    if not m or (not m.group(1) and not m.group(2)):
        return None  # malformed or several ranges: a full 200 response is allowed
    first, last = m.group(1), m.group(2)
    if not first:  # suffix range: the last N bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n > 0 and size > 0 else "unsatisfiable"
    start = int(first)
    end = size - 1 if not last else int(last)
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


class RangeRequestHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    quiet = False

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    def guess_type(self, path):
        name = os.path.basename(str(path))
        if name == "feed.xml":
            return FEED_TYPE
        return MIME_TYPES.get(os.path.splitext(name)[1].lower()) or super().guess_type(path)

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "No index here")
        return None

    def _hidden(self) -> bool:
        parts = self.path.split("?", 1)[0].split("/")
        return any(p.startswith(".") for p in parts if p)

    def send_head(self):
        self._range = None
        if self._hidden():
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        path = self.translate_path(self.path)
        if os.path.isdir(path) or self.path.split("?", 1)[0].endswith("/"):
            return super().send_head()  # redirect to "dir/", index.html or 404
        try:
            f = open(path, "rb")
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        try:
            st = os.fstat(f.fileno())
            size = st.st_size
            etag = f'"{st.st_mtime_ns:x}-{size:x}"'
            modified = email.utils.formatdate(st.st_mtime, usegmt=True)
            wanted = self.headers.get("Range")
            if wanted and self.headers.get("If-Range") not in (None, etag, modified):
                wanted = None  # the file changed since the client's copy: send it whole
            span = parse_range(wanted, size) if wanted else None
            if span == "unsatisfiable":
                f.close()
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                return None
            if span is None and self.headers.get("If-None-Match") == etag:
                f.close()
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            if span is None:
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Length", str(size))
            else:
                self._range = span
                self.send_response(HTTPStatus.PARTIAL_CONTENT)
                self.send_header("Content-Range", f"bytes {span[0]}-{span[1]}/{size}")
                self.send_header("Content-Length", str(span[1] - span[0] + 1))
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Access-Control-Allow-Origin", "*")  # transcripts/chapters for web players
            self.end_headers()
            return f
        except BaseException:
            f.close()
            raise

    def copyfile(self, source, outputfile):
        if self._range is None:
            shutil.copyfileobj(source, outputfile)
            return
        start, end = self._range
        source.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = source.read(min(64 * 1024, left))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> ThreadingHTTPServer:
    handler = partial(type("Handler", (RangeRequestHandler,), {"quiet": quiet}), directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
