"""Publish against damaged state and interrupted uploads (issue 24, finding 16 and "Smaller"): deeply nested
JSON in .studio-publish.json (folder and S3) or .studio-hashes.json is one warning and the state treated as
absent; multipart uploads an interrupted publish left in the bucket are aborted. Real folders, moto's S3 server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_studio
from tests.feed_helpers import add_episode, rebuild
from tests.s3_helpers import BUCKET, S3Server

DEEP = "[" * 200_000 + "]" * 200_000
PREFIX = "shows/weekly/"
TARGET = f"s3://{BUCKET}/shows/weekly"


@pytest.fixture(scope="module")
def s3():
    server = S3Server()
    yield server
    server.stop()


def _built(show_dir: Path) -> Path:
    out = show_dir / "public"
    for n in (1, 2):
        add_episode(out, n)
    rebuild(show_dir)
    return out


def _warnings(proc) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return [x for x in proc.stderr.splitlines() if x.startswith("warning:")]


@pytest.mark.parametrize("content", [DEEP, '{"files": ' + DEEP + "}", "not json", "[1, 2]"])
def test_a_damaged_folder_state_is_one_warning_and_treated_as_absent(show_dir: Path, tmp_path: Path, content):
    out, target = _built(show_dir), tmp_path / "www"
    assert run_studio(["publish", "--to", str(target)], cwd=show_dir).returncode == 0
    (target / ".studio-publish.json").write_text(content, "utf-8")
    proc = run_studio(["publish", "--to", str(target)], cwd=show_dir)
    assert proc.returncode == 0, proc.stderr
    (warning,) = _warnings(proc)
    assert ".studio-publish.json" in warning and "treated as absent" in warning
    assert "feed.xml" in proc.stdout and "0 copied" not in proc.stdout  # everything sent again
    again = run_studio(["publish", "--to", str(target)], cwd=show_dir)
    assert again.returncode == 0 and "0 copied" in again.stdout and _warnings(again) == []  # a good state again


def test_a_damaged_hash_cache_is_one_warning(show_dir: Path, tmp_path: Path):
    out, target = _built(show_dir), tmp_path / "www"
    (out / ".studio-hashes.json").write_text(DEEP, "utf-8")
    proc = run_studio(["publish", "--to", str(target)], cwd=show_dir)
    assert proc.returncode == 0, proc.stderr
    (warning,) = _warnings(proc)
    assert ".studio-hashes.json" in warning and "treated as absent" in warning


def test_a_damaged_s3_state_is_one_warning_and_treated_as_absent(s3, show_dir: Path):
    s3.reset_bucket()
    _built(show_dir)
    env = s3.env(show_dir)
    assert run_studio(["publish", "--to", TARGET], cwd=show_dir, env=env).returncode == 0
    s3.client().put_object(Bucket=BUCKET, Key=PREFIX + ".studio-publish.json", Body=DEEP.encode())
    proc = run_studio(["publish", "--to", TARGET], cwd=show_dir, env=env)
    assert proc.returncode == 0, proc.stderr
    (warning,) = _warnings(proc)
    assert ".studio-publish.json" in warning and "treated as absent" in warning


def _unfinished(s3: S3Server, prefix: str = "") -> list[str]:
    return [u["Key"] for u in s3.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
            if u["Key"].startswith(prefix)]


def test_unfinished_multipart_uploads_are_aborted(s3, show_dir: Path):
    """What a killed or cut-off publish leaves (an upload with parts, never completed) is aborted by the
    next publish; an upload outside the prefix is not ours and stays."""
    s3.reset_bucket()
    _built(show_dir)
    c = s3.client()
    for key in (PREFIX + "episodes/ep-001/episode.mp3", "shows/weekly-old/big.mp3"):
        up = c.create_multipart_upload(Bucket=BUCKET, Key=key)
        c.upload_part(Bucket=BUCKET, Key=key, UploadId=up["UploadId"], PartNumber=1, Body=b"x" * (5 << 20))
    proc = run_studio(["publish", "--to", TARGET], cwd=show_dir, env=s3.env(show_dir))
    assert proc.returncode == 0, proc.stderr
    assert _unfinished(s3, PREFIX) == [] and _unfinished(s3) == ["shows/weekly-old/big.mp3"]
    assert any("aborted 1 unfinished multipart upload" in w for w in _warnings(proc))


def test_a_publish_killed_mid_part_leaves_nothing_after_the_next(s3, show_dir: Path):
    s3.reset_bucket()
    out = _built(show_dir)
    big = out / "episodes" / "ep-001" / "episode.mp3"
    big.write_bytes(os.urandom(60 << 20))
    with open(show_dir / "show.toml", "a", encoding="utf-8") as f:
        f.write("\n[publish]\nmultipart_mb = 5\njobs = 1\n")
    proc = subprocess.Popen([sys.executable, "-m", "studio", "publish", "--to", TARGET, "--force"], cwd=show_dir,
                            env=s3.env(show_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not _unfinished(s3, PREFIX):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert _unfinished(s3, PREFIX), "the publish finished before it could be killed mid-upload"
    again = run_studio(["publish", "--to", TARGET, "--force"], cwd=show_dir, env=s3.env(show_dir))
    assert again.returncode == 0, again.stderr
    assert _unfinished(s3, PREFIX) == []
    assert s3.get(PREFIX + "episodes/ep-001/episode.mp3") == big.read_bytes()
