"""`studio publish --to s3://BUCKET/PREFIX` against a real S3 API server on loopback (moto), read back with boto3."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import run_studio
from tests.feed_helpers import add_episode, add_side_files, rebuild
from tests.s3_helpers import BUCKET, S3Server, local_files

SITE = "https://studio.example.org/weekly/"
PREFIX = "shows/weekly/"
TARGET = f"s3://{BUCKET}/shows/weekly"
OUTSIDE = {"shows/weekly-old/keep.mp3": b"sibling prefix", "other/keep.txt": b"not ours", "shows/keep.txt": b"parent"}


@pytest.fixture(scope="module")
def s3():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def bucket(s3):
    s3.reset_bucket()
    c = s3.client()
    for key, body in OUTSIDE.items():
        c.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3


def _publish(show_dir: Path, s3: S3Server, *extra: str, env: dict | None = None):
    return run_studio(["publish", "--to", TARGET, *extra], cwd=show_dir, env=env or s3.env(show_dir))


def _built(show_dir: Path, numbers=(1, 2)) -> Path:
    out = show_dir / "public"
    for n in numbers:
        data = b"\xff\xfb" * (500 + n)
        add_episode(out, n, audio=data, extra={"audio": {"file": "episode.mp3", "bytes": len(data),
                                                         "duration_ms": 2000.0,
                                                         "sha256": hashlib.sha256(data).hexdigest()}})
        add_side_files(out, f"ep-{n:03d}")
    rebuild(show_dir)
    return out


def _copied(stdout: str) -> list[str]:
    return [line.split()[-1] for line in stdout.splitlines() if line.strip().startswith(("copied", "would copy"))]


def _assert_bucket_matches(s3: S3Server, out: Path) -> None:
    keys = s3.objects(PREFIX)
    local = local_files(out)
    assert set(keys) == {PREFIX + rel for rel in local} | {PREFIX + ".studio-publish.json"}
    for rel, data in local.items():
        assert s3.get(PREFIX + rel) == data, rel


def _assert_feed_complete(s3: S3Server) -> list[str]:
    """Every URL the published feed lists is an object of the advertised size; returns the titles."""
    keys = s3.objects(PREFIX)
    root = ET.fromstring(s3.get(PREFIX + "feed.xml"))
    titles = []
    for item in root.iter("item"):
        enc = item.find("enclosure")
        key = PREFIX + enc.get("url")[len(SITE):].split("?")[0]
        assert keys.get(key) == int(enc.get("length")), key
        for el in item:
            if el.get("url") and el.tag.endswith(("transcript", "chapters")):
                assert PREFIX + el.get("url")[len(SITE):] in keys
        assert PREFIX + item.findtext("link")[len(SITE):] + "index.html" in keys
        titles.append(item.findtext("title"))
    return titles


def test_publish_uploads_with_content_type_and_cache_control_then_nothing(bucket, show_dir: Path):
    out = _built(show_dir)
    proc = _publish(show_dir, bucket)
    assert proc.returncode == 0, proc.stderr
    copied = _copied(proc.stdout)
    assert copied[-1] == "feed.xml" and copied.index("episodes/ep-001/episode.mp3") < copied.index("index.html")
    _assert_bucket_matches(bucket, out)
    assert _assert_feed_complete(bucket) == ["Episode 2", "Episode 1"]
    c = bucket.client()
    expected = {
        "feed.xml": ("application/rss+xml; charset=utf-8", "public, max-age=300"),
        "index.html": ("text/html; charset=utf-8", "public, max-age=300"),
        "cover.jpg": ("image/jpeg", "public, max-age=86400"),
        "episodes/ep-001/episode.mp3": ("audio/mpeg", "public, max-age=31536000, immutable"),
        "episodes/ep-001/chapters.json": ("application/json+chapters", "public, max-age=300"),
        "episodes/ep-001/transcript.vtt": ("text/vtt; charset=utf-8", "public, max-age=300"),
        "episodes/ep-001/transcript.srt": ("application/x-subrip; charset=utf-8", "public, max-age=300"),
        "episodes/ep-001/manifest.json": ("application/json", "public, max-age=300"),
    }
    for rel, (ctype, cache) in expected.items():
        head = c.head_object(Bucket=BUCKET, Key=PREFIX + rel)
        assert (head["ContentType"], head["CacheControl"]) == (ctype, cache), rel
        assert head["Metadata"]["sha256"] == hashlib.sha256((out / rel).read_bytes()).hexdigest()
    # and as a plain HTTP client sees them (a presigned GET, read with urllib)
    for rel in ("feed.xml", "episodes/ep-001/episode.mp3"):
        url = c.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": PREFIX + rel})
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert (resp.headers["Content-Type"], resp.headers["Cache-Control"]) == expected[rel]
            assert resp.read() == (out / rel).read_bytes()
    # the enclosure carries the audio's hash, so media can be cached for a year
    enc = ET.fromstring(bucket.get(PREFIX + "feed.xml")).find("channel/item/enclosure").get("url")
    digest = hashlib.sha256((out / "episodes/ep-002/episode.mp3").read_bytes()).hexdigest()
    assert enc == f"{SITE}episodes/ep-002/episode.mp3?v={digest[:12]}"

    proc = _publish(show_dir, bucket)
    assert proc.returncode == 0, proc.stderr
    assert _copied(proc.stdout) == [] and " 0 copied" in proc.stdout
    for key, body in OUTSIDE.items():
        assert bucket.get(key) == body


def test_removed_episode_pruned_after_the_feed_and_nothing_outside_the_prefix(bucket, show_dir: Path):
    out = _built(show_dir, (1, 2, 3))
    assert _publish(show_dir, bucket).returncode == 0
    shutil.rmtree(out / "episodes" / "ep-001")
    rebuild(show_dir)
    # a hostile state file in the bucket names keys outside the prefix
    state = json.loads(bucket.get(PREFIX + ".studio-publish.json"))
    up = ".."  # parent-folder entries, as a hostile state file would list them
    state["files"].update({f"{up}/keep.txt": "x", "/other/keep.txt": "x", f"{up}/weekly-old/keep.mp3": "x",
                           ".studio-publish.json": "x"})
    bucket.client().put_object(Bucket=BUCKET, Key=PREFIX + ".studio-publish.json", Body=json.dumps(state).encode())

    proc = _publish(show_dir, bucket, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "would remove episodes/ep-001/episode.mp3" in proc.stdout and "would copy feed.xml" in proc.stdout
    assert PREFIX + "episodes/ep-001/episode.mp3" in bucket.objects(PREFIX)
    proc = _publish(show_dir, bucket, "--dry-run", "--json")
    summary = json.loads(proc.stdout)
    assert summary["dry_run"] and summary["copied"][-1] == "feed.xml" and len(summary["ignored"]) == 4
    assert "episodes/ep-001/episode.mp3" in summary["removed"] and summary["target"] == f"{TARGET}/"

    proc = _publish(show_dir, bucket)
    assert proc.returncode == 0, proc.stderr
    assert "removed episodes/ep-001/episode.mp3" in proc.stdout
    assert proc.stderr.count("ignored") == 4
    assert not [k for k in bucket.objects(PREFIX) if "/ep-001/" in k]
    _assert_bucket_matches(bucket, out)
    assert _assert_feed_complete(bucket) == ["Episode 3", "Episode 2"]
    for key, body in OUTSIDE.items():
        assert bucket.get(key) == body


def test_large_files_go_in_parts(bucket, show_dir: Path):
    out = _built(show_dir, (1,))
    big = os.urandom(11 * 1024 * 1024)
    (out / "episodes" / "ep-001" / "episode.mp3").write_bytes(big)
    manifest = json.loads((out / "episodes" / "ep-001" / "manifest.json").read_text("utf-8"))
    manifest["audio"].update(bytes=len(big), sha256=hashlib.sha256(big).hexdigest())
    (out / "episodes" / "ep-001" / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    with open(show_dir / "show.toml", "a", encoding="utf-8") as f:
        f.write("\n[publish]\nmultipart_mb = 5\njobs = 2\n")
    proc = _publish(show_dir, bucket, "--force")
    assert proc.returncode == 0, proc.stderr
    head = bucket.client().head_object(Bucket=BUCKET, Key=PREFIX + "episodes/ep-001/episode.mp3")
    assert head["ETag"].strip('"').endswith("-3")  # three parts of 5 MB
    assert bucket.get(PREFIX + "episodes/ep-001/episode.mp3") == big


def test_credentials_and_endpoint_from_an_aws_profile(bucket, show_dir: Path, tmp_path: Path):
    _built(show_dir, (1,))
    config, creds = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text(f"[profile studio]\nregion = us-east-1\nendpoint_url = {bucket.endpoint}\n", "utf-8")
    creds.write_text("[studio]\naws_access_key_id = testing\naws_secret_access_key = testing\n", "utf-8")
    env = {k: v for k, v in bucket.env(tmp_path).items()
           if k not in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    env.update(AWS_PROFILE="studio", AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(creds))
    proc = _publish(show_dir, bucket, env=env)
    assert proc.returncode == 0, proc.stderr
    assert PREFIX + "feed.xml" in bucket.objects(PREFIX)
    assert "testing" not in (show_dir / "show.toml").read_text("utf-8")


def test_an_unreachable_endpoint_is_one_line(show_dir: Path, tmp_path: Path, s3):
    _built(show_dir, (1,))
    env = s3.env(tmp_path, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    proc = _publish(show_dir, s3, env=env)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error:") and "s3://podcast/shows/weekly/" in line


def test_sigkill_mid_upload_then_rerun_converges(bucket, show_dir: Path):
    out = _built(show_dir, (1, 2))
    assert _publish(show_dir, bucket).returncode == 0
    before = len(bucket.objects(PREFIX))
    for n in range(3, 40):
        data = os.urandom(200_000)
        add_episode(out, n, audio=data)
    shutil.rmtree(out / "episodes" / "ep-001")
    rebuild(show_dir)
    proc = subprocess.Popen([sys.executable, "-m", "studio", "publish", "--to", TARGET, "--jobs", "1", "--force"],
                            cwd=show_dir, env=bucket.env(show_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(bucket.objects(PREFIX)) >= before + 10:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the publish ended before it could be killed"
    # the feed in the bucket is the old one, and everything it lists is there (the removed episode too)
    assert _assert_feed_complete(bucket) == ["Episode 2", "Episode 1"]

    proc = _publish(show_dir, bucket, "--force")
    assert proc.returncode == 0, proc.stderr
    _assert_bucket_matches(bucket, out)
    assert len(_assert_feed_complete(bucket)) == 38
    assert " 0 copied" in _publish(show_dir, bucket, "--force").stdout
    for key, body in OUTSIDE.items():
        assert bucket.get(key) == body


def test_a_failed_upload_leaves_the_published_feed_complete(bucket, show_dir: Path):
    """The S3 server goes away mid-upload: one line, exit 1, the feed in the bucket lists only complete objects."""
    out = _built(show_dir, (1, 2))
    assert _publish(show_dir, bucket).returncode == 0
    before = len(bucket.objects(PREFIX))
    for n in range(3, 30):
        add_episode(out, n, audio=os.urandom(200_000))
    rebuild(show_dir)
    failing = S3Server()  # a second endpoint onto the same stored buckets, stopped mid-upload
    proc = subprocess.Popen([sys.executable, "-m", "studio", "publish", "--to", TARGET, "--jobs", "1", "--force"],
                            cwd=show_dir, env=failing.env(show_dir, AWS_MAX_ATTEMPTS="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and len(bucket.objects(PREFIX)) < before + 5:
        time.sleep(0.02)
    failing.stop()
    failing.server._server.server_close()  # connections are now refused
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error:") and "feed.xml was not updated" in line
    assert _assert_feed_complete(bucket) == ["Episode 2", "Episode 1"]
    assert _publish(show_dir, bucket, "--force").returncode == 0
    _assert_bucket_matches(bucket, out)
