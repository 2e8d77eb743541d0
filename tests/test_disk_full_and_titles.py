"""Issue 24, "Smaller": a full disk is one line naming the output folder (not a temp file, not a source
file, never a traceback); bidi override characters never reach a title. Real builds (espeak, ffmpeg),
a real file size limit (RLIMIT_FSIZE, as a full disk fails writes), real mutagen."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.conftest import bare_env, make_show, run_studio
from tests.test_crash_drills import build_cmd, write_episode


def _small_disk(kb: int):
    def limit() -> None:  # every write past `kb` KiB fails with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (kb * 1024, kb * 1024))
    return limit


@pytest.fixture(scope="module")
def warm_show(tmp_path_factory) -> Path:
    """A show whose episode was built once (clips cached), so a rebuild only writes outputs."""
    root = make_show(tmp_path_factory.mktemp("disk"))
    write_episode(root, 1)
    subprocess.run(build_cmd(root / "episodes" / "drill-1.md"), cwd=root, env=bare_env(), check=True)
    return root


@pytest.mark.parametrize("kb", [128, 1024])
def test_a_full_disk_names_the_output_folder(warm_show: Path, kb: int):
    out = f"fresh-{kb}"
    proc = subprocess.run(build_cmd(warm_show / "episodes" / "drill-1.md", "--out", out), cwd=warm_show,
                          env=bare_env(), capture_output=True, text=True, preexec_fn=_small_disk(kb))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {out}: no space left on the disk"), line
    assert ".studio-tmp" not in line and "cover.jpg" not in line and "studio-audio" not in line


def test_mutagen_failing_on_a_full_disk_is_named_too(tmp_path: Path):
    """mutagen wraps the OSError in its own error: still one DiskFullError naming the folder."""
    script = f"""
import resource, signal, sys
from pathlib import Path
from mutagen.id3 import ID3, APIC
from studio.core.diskfull import DiskFullError, writing_into
folder = Path({str(tmp_path)!r})
mp3 = folder / "a.mp3"
mp3.write_bytes(b"\\xff\\xfb\\x90\\x00" + bytes(4000))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    with writing_into(folder):
        tags = ID3()
        tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="cover", data=bytes(200_000)))
        tags.save(str(mp3))
except DiskFullError as e:
    print("named:", e)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=bare_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"named: {tmp_path}: no space left on the disk"), proc.stdout


def test_bidi_override_characters_never_reach_a_title(tmp_path: Path):
    (tmp_path / "show").mkdir()
    root = make_show(tmp_path / "show")
    rlo, lri, pdi = "\u202e", "\u2066", "\u2069"
    (root / "episodes" / "bidi.md").write_text(
        f"+++\ntitle = 'Weekly {rlo}txt.exe'\ndate = 2026-03-01\nslug = 'bidi'\n+++\n\n"
        f"## Safe {lri}heading{pdi}\n\n这是第一条新闻。\n\n## Second {rlo}one\n\n这是第二条新闻。\n", "utf-8")
    proc = run_studio(["build", "episodes/bidi.md", "--engine", "espeak", "--quiet"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    ep = root / "public" / "episodes" / "bidi"
    manifest = json.loads((ep / "manifest.json").read_text("utf-8"))
    assert manifest["title"] == "Weekly txt.exe"
    assert [i["title"] for i in manifest["items"]] == ["Safe heading", "Second one"]
    subject = message_from_bytes((ep / "email.eml").read_bytes(), policy=policy.default)["Subject"]
    assert subject == "Weekly txt.exe"
    for path in (root / "public" / "feed.xml", ep / "chapters.json", ep / "index.html"):
        text = path.read_text("utf-8")
        assert not any(c in text for c in (rlo, lri, pdi)), path
