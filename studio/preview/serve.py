"""`studio serve`: preview the output dir over HTTP with byte ranges (206), as podcast apps and browsers seek.

Only regular files inside the directory are served: never a dot-file (Studio's
own state, locks, caches; checked after URL decoding) and never through a link
leading out of it. `make_handler`/`make_server` build the server for any
directory, for reuse (e.g. a live-reloading preview).
"""

from __future__ import annotations

import email.utils
import os
import re
import shutil
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from studio.core.lazy import lazy_pattern
from studio.core.media_types import content_type

_RANGE = lazy_pattern(r"^bytes=(\d*)-(\d*)$")
ABORTED = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


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


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match: `*`, or a list of tags compared weakly (W/"x" matches "x"), RFC 9110 13.1.2."""
    header = header.strip()
    if header == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(",") if tag.strip())


def modified_since(header: str, mtime: float) -> bool | None:
    """False when the file is not newer than If-Modified-Since; None for a date that does not parse."""
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return int(mtime) > when.timestamp()


class RangeRequestHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    quiet = False

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)

    def guess_type(self, path):
        return content_type(os.path.basename(str(path)))

    def list_directory(self, path):
        self.send_error(HTTPStatus.NOT_FOUND, "No index here")
        return None

    def _inside(self, path: str) -> bool:
        root = os.path.realpath(self.directory)
        return os.path.commonpath([root, os.path.realpath(path)]) == root

    def _not_modified(self, etag: str, mtime: float) -> bool:
        """RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only without it."""
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag_matches(inm, etag)
        ims = self.headers.get("If-Modified-Since")
        return bool(ims) and modified_since(ims, mtime) is False

    def send_head(self):
        self._range = None
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        decoded = unquote(raw, errors="surrogatepass")
        if "\x00" in decoded:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad path")
            return None
        if any(p.startswith(".") for p in re.split(r"[/\\]", decoded) if p):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not raw.endswith("/"):
                return super().send_head()  # redirect to "dir/"
            path = os.path.join(path, "index.html")
        elif raw.endswith("/"):
            path = ""
        try:
            if not path or not self._inside(path) or not os.path.isfile(path):
                raise FileNotFoundError
            f = open(path, "rb")
        except (OSError, ValueError):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        try:
            return self._send_file_head(f, path)
        except BaseException:
            f.close()
            raise

    def _send_file_head(self, f, path: str):
        st = os.fstat(f.fileno())
        size = st.st_size
        etag = f'"{st.st_mtime_ns:x}-{size:x}"'
        modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        if self._not_modified(etag, st.st_mtime):  # before Range: a cached copy needs no bytes
            f.close()
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validators(etag, modified)
            self.end_headers()
            return None
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
        self._validators(etag, modified)
        self.send_header("Access-Control-Allow-Origin", "*")  # transcripts/chapters for web players
        self.end_headers()
        return f

    def _validators(self, etag: str, modified: str) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "no-cache")

    def copyfile(self, source, outputfile):
        try:
            self._copy(source, outputfile)
        except ABORTED:
            self.close_connection = True  # the client went away (a skipped or aborted download): not an error

    def _copy(self, source, outputfile):
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


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):

        if isinstance(sys.exc_info()[1], ABORTED):
            return  # a client hanging up mid-response is normal for media
        super().handle_error(request, client_address)


def make_handler(directory: Path, quiet: bool = False):
    """The request handler class for serving `directory`."""
    return partial(type("Handler", (RangeRequestHandler,), {"quiet": quiet}), directory=str(directory))


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> ThreadingHTTPServer:
    return PreviewServer((host, port), make_handler(directory, quiet))
