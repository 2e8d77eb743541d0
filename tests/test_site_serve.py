"""`studio serve`: a real server on 127.0.0.1, byte ranges as podcast apps and browsers use them."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import bare_env
from tests.feed_helpers import add_episode, add_side_files, mp3_bytes, rebuild


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from tests.conftest import make_show

    root = make_show(tmp_path_factory.mktemp("serve"))
    out = root / "public"
    add_episode(out, 1)
    add_side_files(out, "ep-001")
    rebuild(root)
    proc = subprocess.Popen([sys.executable, "-m", "studio", "serve", "--port", "0", "--quiet"], cwd=root,
                            env=bare_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        yield out, int(m.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(port: int, path: str, method: str = "GET", **headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


MP3 = "/episodes/ep-001/episode.mp3"


def test_whole_file_advertises_ranges(served):
    out, port = served
    resp, body = _get(port, MP3)
    assert resp.status == 200 and body == mp3_bytes()
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert resp.getheader("Content-Type") == "audio/mpeg"
    assert int(resp.getheader("Content-Length")) == len(body)


@pytest.mark.parametrize("header,first,last", [
    ("bytes=0-1", 0, 1),            # what iOS asks first
    ("bytes=100-199", 100, 199),
    ("bytes=1000-", 1000, None),    # open-ended: to the end
    ("bytes=-500", -500, None),     # the last 500 bytes
    ("bytes=100-999999999", 100, None),
])
def test_range_requests_get_206(served, header, first, last):
    _, port = served
    data = mp3_bytes()
    size = len(data)
    start = first if first >= 0 else size + first
    end = size - 1 if last is None else last
    resp, body = _get(port, MP3, Range=header)
    assert resp.status == 206
    assert resp.getheader("Content-Range") == f"bytes {start}-{end}/{size}"
    assert int(resp.getheader("Content-Length")) == end - start + 1
    assert body == data[start:end + 1]
    assert resp.getheader("Accept-Ranges") == "bytes"


def test_unsatisfiable_range_is_416(served):
    _, port = served
    size = len(mp3_bytes())
    resp, body = _get(port, MP3, Range=f"bytes={size}-")
    assert resp.status == 416 and resp.getheader("Content-Range") == f"bytes */{size}" and body == b""


def test_if_range_with_an_old_validator_gets_the_whole_file(served):
    _, port = served
    resp, _ = _get(port, MP3, Range="bytes=0-1")
    etag = resp.getheader("ETag")
    assert etag
    assert _get(port, MP3, Range="bytes=0-1", **{"If-Range": etag})[0].status == 206
    resp, body = _get(port, MP3, Range="bytes=0-1", **{"If-Range": '"stale"'})
    assert resp.status == 200 and body == mp3_bytes()


def test_head_and_mime_types(served):
    out, port = served
    expected = {
        "/feed.xml": "application/rss+xml",
        "/episodes/ep-001/transcript.vtt": "text/vtt",
        "/episodes/ep-001/transcript.srt": "application/x-subrip",
        "/episodes/ep-001/chapters.json": "application/json",
        "/episodes/ep-001/": "text/html",
        "/cover.jpg": "image/jpeg",
    }
    for path, ctype in expected.items():
        resp, body = _get(port, path, method="HEAD")
        assert resp.status == 200, path
        assert resp.getheader("Content-Type").split(";")[0] == ctype, path
        assert body == b""
    resp, body = _get(port, "/feed.xml")
    assert body == (out / "feed.xml").read_bytes()


def test_private_files_and_escapes_are_not_served(served):
    out, port = served
    assert (out / ".studio.lock").exists()
    assert _get(port, "/.studio.lock")[0].status == 404
    assert _get(port, "/../show.toml")[0].status == 404
    assert _get(port, "/episodes/")[0].status == 404  # no directory listings
    assert _get(port, "/nope.mp3")[0].status == 404
    resp, _ = _get(port, "/episodes/ep-001")
    assert resp.status == 301 and resp.getheader("Location").endswith("/episodes/ep-001/")


from hypothesis import given, settings, strategies as st  # noqa: E402

from studio.feed.serve import parse_range  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, 10_000), a=st.integers(0, 12_000), b=st.integers(0, 12_000))
def test_parse_range_follows_rfc_9110(size, a, b):
    got = parse_range(f"bytes={a}-{b}", size)
    if b < a:
        assert got is None  # invalid: ignored, the whole file is sent
    elif a >= size:
        assert got == "unsatisfiable"
    else:
        assert got == (a, min(b, size - 1))
    suffix = parse_range(f"bytes=-{b}", size)
    assert suffix == ("unsatisfiable" if b == 0 or size == 0 else (max(0, size - b), size - 1))
    assert parse_range(f"bytes={a}-", size) == ("unsatisfiable" if a >= size else (a, size - 1))
    assert parse_range(f"bytes=0-1,{a}-{b}", size) is None  # several ranges: whole file
