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
    log = open(root / "serve.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "studio", "serve", "--port", "0", "--quiet"], cwd=root,
                            env=bare_env(), stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, (line, (root / "serve.log").read_text("utf-8"))
        yield out, int(m.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _server_log(out: Path) -> str:
    return (out.parent / "serve.log").read_text("utf-8")


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
        "/episodes/ep-001/chapters.json": "application/json+chapters",  # Podcasting 2.0 chapters
        "/episodes/ep-001/manifest.json": "application/json",
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



def test_dot_files_are_hidden_after_decoding(served):
    out, port = served
    (out / ".studio-index.json").write_text('{"source": "/home/host/secret/path"}', "utf-8")
    for path in ("/.studio-index.json", "/%2estudio-index.json", "/%2Estudio-manifests.json",
                 "/episodes/%2e%2e/.studio-index.json", "/%2estudio.lock", "/episodes/ep-001/%2E/../../.studio-index.json"):
        resp, body = _get(port, path)
        assert resp.status == 404, path
        assert b"secret" not in body


def test_links_leading_out_of_the_directory_are_not_served(served, tmp_path: Path):
    out, port = served
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0", "utf-8")
    (out / "leak.txt").symlink_to(secret)
    (out / "leakdir").symlink_to(tmp_path, target_is_directory=True)
    (out / "inside.mp3").symlink_to(out / "episodes" / "ep-001" / "episode.mp3")
    try:
        for path in ("/leak.txt", "/leakdir/passwd"):
            resp, body = _get(port, path)
            assert resp.status == 404 and b"root:x" not in body, path
        assert _get(port, "/inside.mp3")[0].status == 200  # a link that stays inside is fine
    finally:
        for name in ("leak.txt", "leakdir", "inside.mp3"):
            (out / name).unlink()


def test_a_nul_byte_in_the_path_is_400_without_a_traceback(served):
    out, port = served
    resp, _ = _get(port, "/feed.xml%00.html")
    assert resp.status == 400
    assert _get(port, "/feed.xml")[0].status == 200  # the server is still there
    assert "Traceback" not in _server_log(out)


def test_an_aborted_download_is_quiet(served):
    import socket
    import struct
    import time

    out, port = served
    big = out / "episodes" / "ep-001" / "big.mp3"
    big.write_bytes(b"\xff\xfb" * (16 * 1024 * 1024))
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(b"GET /episodes/ep-001/big.mp3 HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(4096)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, like a killed app
            sock.close()
        time.sleep(1.0)
        assert _get(port, "/feed.xml")[0].status == 200
        log = _server_log(out)
        assert "Traceback" not in log and "ConnectionResetError" not in log and "BrokenPipe" not in log
    finally:
        big.unlink()


def test_conditional_requests_as_feed_pollers_send_them(served):
    _, port = served
    first, _ = _get(port, "/feed.xml")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    for header in (etag, "W/" + etag, f'"other", {etag}', f'W/"x",W/{etag}', "*"):
        resp, body = _get(port, "/feed.xml", **{"If-None-Match": header})
        assert resp.status == 304 and body == b"", header
        assert resp.getheader("ETag") == etag and resp.getheader("Cache-Control")
    assert _get(port, "/feed.xml", **{"If-None-Match": '"other", W/"x"'})[0].status == 200
    assert _get(port, "/feed.xml", **{"If-Modified-Since": modified})[0].status == 304
    assert _get(port, "/feed.xml", **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0].status == 200
    assert _get(port, "/feed.xml", **{"If-Modified-Since": "not a date"})[0].status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert _get(port, "/feed.xml", **{"If-None-Match": '"other"', "If-Modified-Since": modified})[0].status == 200
    # a Range request whose If-None-Match matches: 304, not 206
    resp, body = _get(port, MP3, Range="bytes=0-1", **{"If-None-Match": _get(port, MP3)[0].getheader("ETag")})
    assert resp.status == 304 and body == b""
    assert resp.getheader("ETag") and resp.getheader("Cache-Control") == "no-cache"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st

from studio.preview.serve import parse_range  # noqa: E402


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
