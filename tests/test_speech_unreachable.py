"""A voice service that cannot be reached at all (issue 27.3): a refused connection or a failed name
lookup is known at the first request, so a forced engine fails at once with one line that says why
and what to do, and `auto` falls back with one warning per run, not per episode.

The real edge-tts client is used, held to loopback by devtools.loopback_only: a port where nothing
listens, and a `.invalid` name whose lookup the guard answers without asking any server (its log
proves nothing else left loopback). The time it takes is a benchmark (`python -m benchmarks reach`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.config import SpeechConfig
from studio.core.errors import SpeechError
from studio.speech.synthesize import synthesize_episode
from tests.conftest import REPO, bare_env
from tests.host_loop_support import get, loop_show, script, status_of, wait_for, watch_server
from tests.speech_support import episode, show_at

ITEMS = [(f"第{n}条", f"第{n}条新闻的内容，说得很短。") for n in range(1, 7)]
OTHER = [("另一条", "另一期的新闻，内容不同。")]  # not in the cache when the first episode is built
INVALID = "speech.studio-test.invalid"


@contextlib.contextmanager
def closed_port():
    """A loopback port that refuses connections: bound (so nobody else takes it), never listening."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def guarded(args: list[str], cwd: Path, wss: str, log: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """`studio ARGS` with the network held to loopback; what was held back goes to `log`."""
    env = dict(bare_env(), STUDIO_EDGE_WSS_URL=wss, STUDIO_NET_LOG=str(log), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "devtools.loopback_only", "-m", "studio", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def held(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()] if log.exists() else []


@pytest.fixture
def show(tmp_path: Path) -> Path:
    return loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one"),
                                         "b.md": script("二", "2026-03-08", 2, OTHER, slug="two")})


def one_error_no_retries(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr and not any("retry" in line for line in lines), proc.stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and len(lines) <= 3, proc.stderr  # the episode's title line, the error
    assert "--engine espeak" in errors[0] and "check the network" in errors[0], errors[0]
    return errors[0]


def test_forced_edge_with_a_refused_connection_fails_at_the_first_request(show: Path, tmp_path: Path):
    log = tmp_path / "net.jsonl"
    with closed_port() as port:
        proc = guarded(["build", "episodes/a.md", "--engine", "edge"], show, f"ws://127.0.0.1:{port}/edge/v1", log)
    line = one_error_no_retries(proc)
    assert f"Edge TTS is unreachable (connection refused by 127.0.0.1:{port})" in line
    assert "STUDIO_EDGE_WSS_URL" in line  # it points elsewhere than the real service: the host is told so
    assert held(log) == []  # nothing but loopback was tried
    assert not (show / "public" / "episodes" / "one").exists()


def test_forced_edge_with_a_failed_name_lookup_fails_at_the_first_request(show: Path, tmp_path: Path):
    log = tmp_path / "net.jsonl"
    proc = guarded(["build", "episodes/a.md", "--engine", "edge"], show,
                   f"wss://{INVALID}/consumer/speech/synthesize/readaloud/edge/v1", log)
    line = one_error_no_retries(proc)
    assert f"Edge TTS is unreachable (name lookup failed for {INVALID}" in line
    attempts = held(log)
    assert attempts and all(a == {"event": "socket.getaddrinfo", "target": INVALID, "pid": a["pid"]} for a in attempts)
    assert len(attempts) <= SpeechConfig().jobs  # the first requests in flight; never one per item and retry


@pytest.mark.parametrize("cause", ["refused", "lookup"])
def test_auto_falls_back_with_one_warning_per_run(show: Path, tmp_path: Path, cause: str):
    log = tmp_path / "net.jsonl"
    with closed_port() as port:
        wss = f"ws://127.0.0.1:{port}/edge/v1" if cause == "refused" else f"wss://{INVALID}/edge/v1"
        proc = guarded(["build", "--json"], show, wss, log)
    assert proc.returncode == 0, proc.stderr
    built = json.loads(proc.stdout)["episodes"]
    assert [(e["status"], e["engine"]) for e in built] == [("built", "espeak")] * 2
    assert all(any("Edge TTS skipped" in w for w in e["warnings"]) for e in built)  # each episode records it
    shown = [line for line in proc.stderr.splitlines() if "Edge TTS skipped" in line]
    assert len(shown) == 1, proc.stderr  # the run says it once
    said = " ".join(proc.stderr.split())  # rich wraps long lines at 80 columns off a terminal
    if cause == "refused":
        assert f"connection refused by 127.0.0.1:{port}" in said and held(log) == []
    else:
        assert f"name lookup failed for {INVALID}" in said
        assert {(a["event"], a["target"]) for a in held(log)} == {("socket.getaddrinfo", INVALID)}


def test_watch_with_auto_warns_once_for_the_whole_session(show: Path, tmp_path: Path):
    with closed_port() as port:
        env = {"STUDIO_EDGE_WSS_URL": f"ws://127.0.0.1:{port}/edge/v1"}
        with watch_server(show, tmp_path / "stderr.txt", extra=["--engine", "auto"], env=env) as (http, proc, lines):
            def both():
                """both scripts built"""
                eps = status_of(http)["episodes"]
                return all(eps.get(f"episodes/{n}.md", {}).get("status") == "built" for n in "ab")

            wait_for(both)
            assert get(http, "/episodes/two/")[0] == 200
        stderr = (tmp_path / "stderr.txt").read_text("utf-8")
    assert stderr.count("Edge TTS skipped") == 1, stderr


@pytest.mark.parametrize("engine", ["azure", "openai"])
def test_rest_engines_unreachable_is_one_line_without_retries(tmp_path: Path, engine: str, monkeypatch):
    monkeypatch.setenv("STUDIO_AZURE_SPEECH_KEY", "k")
    with closed_port() as port:
        url = f"http://127.0.0.1:{port}"
        speech = (f'retries = 4\nretry_backoff = 1\n[speech.azure]\nendpoint = "{url}"\n' if engine == "azure" else
                  f'retries = 4\nretry_backoff = 1\n[speech.openai]\nbase_url = "{url}/v1"\nmodel = "m"\n'
                  '[speech.openai.voices]\n"zh-CN-XiaoxiaoNeural" = "v"\n')
        show = show_at(tmp_path, speech=speech)
        with pytest.raises(SpeechError) as err:
            synthesize_episode(episode(["一。", "二。", "三。"], tmp_path), show, engine, tmp_path / "cache", seed=1)
    msg = str(err.value)
    assert f"is unreachable (connection refused by 127.0.0.1:{port})" in msg, msg
    assert ("speech.azure.region" if engine == "azure" else "speech.openai.base_url") in msg
    assert "item" not in msg and "attempts" not in msg and "\n" not in msg
