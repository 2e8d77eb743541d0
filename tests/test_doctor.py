"""Issue 27.9: `studio doctor` says what Studio found, each with its fix, against real servers on loopback:
an SMTP server that checks a login (aiosmtpd), the Edge protocol stand-in, an S3 API (moto server) and an
OpenAI-compatible model list (aiohttp). Nothing is sent; exit 1 only when something the show needs is missing."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from devtools.edge_server import EdgeStandIn
from tests.conftest import bare_env, run_studio
from tests.s3_helpers import S3Server
from tests.test_email_send import Recorder, free_port
from tests.test_ingest_assist import StandIn

PASSWORD = "doctor-pa55"
SHOW = """title = "Doctor Show"
description = "d"
author = "a"
owner_email = "host@doctor-test.net"
base_url = "https://pod.doctor-test.net/"
voice = "zh-CN-XiaoxiaoNeural"

[speech]
engine = "edge"

[email]
from_address = "news@doctor-test.net"
unsubscribe_url = "https://pod.doctor-test.net/unsubscribe"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
user = "studio"
password_env = "DOCTOR_SMTP_PASSWORD"
timeout = 5

[assist]
enabled = true
base_url = "http://127.0.0.1:{llm_port}/v1"
model = "{model}"
api_key_env = "DOCTOR_LLM_KEY"
timeout = 5
"""


@pytest.fixture(scope="module")
def servers():
    logins: list[tuple[bytes, bool]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"studio" and auth_data.password == PASSWORD.encode()
        logins.append((auth_data.login, ok))
        return AuthResult(success=ok, handled=False)

    inbox = Recorder()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port, authenticator=authenticator,
                      auth_require_tls=False)
    smtp.start()
    edge, s3, llm = EdgeStandIn().start(), S3Server(), StandIn(models=("qwen2.5:7b", "llama3"))
    s3.reset_bucket()
    yield {"smtp": smtp_port, "logins": logins, "inbox": inbox, "edge": edge, "s3": s3, "llm": llm}
    smtp.stop()
    edge.stop()
    s3.stop()
    llm.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def doctor(root: Path, servers, *args: str, password: str = PASSWORD, edge_url: str | None = None,
           secret: bool = True):
    env = servers["s3"].env(root, DOCTOR_SMTP_PASSWORD=password, DOCTOR_LLM_KEY="sk-doctor-key",
                            STUDIO_EDGE_WSS_URL=edge_url or servers["edge"].url)
    if secret:
        env["STUDIO_UNSUBSCRIBE_SECRET"] = "doctor-secret"
    return run_studio(["doctor", *args], cwd=root, env=env)


def show(tmp_path: Path, servers, model: str = "qwen2.5:7b", smtp_port: int | None = None) -> Path:
    root = tmp_path / "show"
    root.mkdir()
    (root / "show.toml").write_text(SHOW.format(smtp_port=smtp_port or servers["smtp"], llm_port=servers["llm"].port,
                                                model=model), "utf-8")
    return root


def test_everything_found_and_nothing_sent(tmp_path: Path, servers):
    root = show(tmp_path, servers)
    proc = doctor(root, servers, "--to", "s3://podcast/show", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = json.loads(proc.stdout)
    checks = {c["name"]: c for c in found["checks"]}
    assert found["ok"] is True and list(checks) == ["ffmpeg", "espeak-ng", "Edge TTS", "SMTP login", "sending",
                                                     "S3 credentials", "LLM assist"]
    assert all(c["status"] == "ok" and c["fix"] == "" for c in checks.values()), found
    assert checks["ffmpeg"]["detail"].startswith("ffmpeg version") and "imageio-ffmpeg" in checks["ffmpeg"]["detail"]
    assert "logged in as 'studio'" in checks["SMTP login"]["detail"] and "nothing was sent" in checks["SMTP login"]["detail"]
    assert servers["logins"][-1] == (b"studio", True) and servers["inbox"].messages == []  # logged in, sent nothing
    assert "bucket 'podcast' reachable" in checks["S3 credentials"]["detail"]
    assert "has model 'qwen2.5:7b'" in checks["LLM assist"]["detail"]
    assert servers["llm"].model_requests[-1] == ("GET", "/v1/models", "Bearer sk-doctor-key")
    assert f"127.0.0.1:{servers['edge'].url.split(':')[2].split('/')[0]} answers" == checks["Edge TTS"]["detail"]
    assert PASSWORD not in proc.stdout and "sk-doctor-key" not in proc.stdout


def test_each_problem_with_its_fix_and_exit_1(tmp_path: Path, servers):
    root = show(tmp_path, servers, model="gpt-9")
    proc = doctor(root, servers, "--to", "s3://no-such-bucket", password="wrong", secret=False,
                  edge_url=f"ws://127.0.0.1:{closed_port()}/edge")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "wrong" not in proc.stdout
    out = proc.stdout
    assert "  ok       ffmpeg: ffmpeg version" in out and "  ok       espeak-ng: " in out
    assert "  PROBLEM  Edge TTS: not reachable (" in out
    assert "fix: check the network (a proxy, a firewall) or use the offline voice: --engine espeak" in out
    assert "  PROBLEM  SMTP login: SMTP login as 'studio' refused by SMTP server 127.0.0.1:" in out and ": 535 " in out
    assert "fix: check [smtp] user and the password in DOCTOR_SMTP_PASSWORD" in out
    assert servers["logins"][-1] == (b"studio", False) and servers["inbox"].messages == []
    assert "  PROBLEM  sending: STUDIO_UNSUBSCRIBE_SECRET is not set" in out
    assert "  PROBLEM  S3 credentials: no bucket 's3://no-such-bucket' there" in out
    assert "  warn     LLM assist: 127.0.0.1:" in out and "has no model 'gpt-9' (it has: qwen2.5:7b, llama3)" in out
    assert "fix: set [assist] model to one of them; builds use the built-in segmenter meanwhile" in out
    assert out.rstrip().endswith("4 problems, 1 warning: fix the problems above")


def test_an_smtp_server_that_is_not_running_and_a_missing_password(tmp_path: Path, servers):
    root = show(tmp_path, servers, smtp_port=closed_port())
    down = doctor(root, servers)
    assert down.returncode == 1 and "  PROBLEM  SMTP login: " in down.stdout
    assert "fix: check [smtp] host, port and security, and that the server is running" in down.stdout
    unset = doctor(root, servers, password="")
    assert unset.returncode == 1
    assert "SMTP login: [smtp] user is 'studio' but DOCTOR_SMTP_PASSWORD is not set" in unset.stdout


def test_outside_a_show_the_tools_only_and_a_broken_show_file_is_a_problem(tmp_path: Path, servers):
    bare = run_studio(["doctor"], cwd=tmp_path, env=bare_env())
    assert bare.returncode == 0, bare.stdout + bare.stderr
    assert "no show.toml here (the tools only)" in bare.stdout
    assert [line.split(":")[0].strip() for line in bare.stdout.splitlines()[1:3]] == ["ok       ffmpeg",
                                                                                         "ok       espeak-ng"]
    (tmp_path / "show.toml").write_text('title = "x"\n', "utf-8")
    broken = run_studio(["doctor"], cwd=tmp_path, env=bare_env())
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert "  PROBLEM  show.toml: " in broken.stdout and "  ok       ffmpeg" in broken.stdout
