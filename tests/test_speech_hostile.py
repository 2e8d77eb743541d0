"""The azure and openai engines against hostile servers on loopback (issue 24, findings 1, 5, 6):
a redirect to another origin never receives the key, a non-audio answer is an error naming the
engine, a key in a reason phrase never reaches a message, an endless body is cut off."""

from __future__ import annotations

import time

import pytest

from devtools.azure_server import SPEAK_PATH, AzureStandIn
from studio.core.errors import SpeechError
from tests.conftest import bare_env, run_studio
from tests.net_support import Flood, Recorder, Redirector
from tests.test_speech_engines import AZ_KEY, OA_KEY, TEXTS, azure_toml, cli_show, openai_toml, speak


class _Endpoint:
    """Something with a base_url, for the toml helpers."""

    def __init__(self, url: str):
        self.base_url = url


@pytest.fixture
def elsewhere():
    """Another origin (another port on loopback) that records every header it receives."""
    with Recorder(status=200, content_type="text/plain", body=b"hello from elsewhere") as server:
        yield server


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("STUDIO_AZURE_SPEECH_KEY", AZ_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OA_KEY)


@pytest.mark.parametrize("status", [302, 307])
def test_studio_build_never_sends_the_azure_key_to_another_origin(tmp_path, elsewhere, status):
    with Redirector(target=elsewhere.url, status=status) as hop:
        root = cli_show(tmp_path, "retries = 1\n" + azure_toml(_Endpoint(hop.url)))
        env = dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=AZ_KEY)
        proc = run_studio(["build", "episodes/test.md", "--engine", "azure"], cwd=root, env=env)
    assert hop.headers and hop.headers[0]["Ocp-Apim-Subscription-Key"] == AZ_KEY  # the configured host has it
    assert elsewhere.headers == [] and not elsewhere.saw(AZ_KEY)  # nothing, let alone the key, went elsewhere
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert "Azure Speech" in line and "redirect" in line and elsewhere.url.split("//")[1] in line
    assert AZ_KEY not in proc.stderr + proc.stdout


def test_studio_voices_azure_never_sends_the_key_to_another_origin(tmp_path, elsewhere):
    with Redirector(target=elsewhere.url, status=302) as hop:
        root = cli_show(tmp_path, azure_toml(_Endpoint(hop.url)))
        env = dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=AZ_KEY)
        proc = run_studio(["voices", "--engine", "azure"], cwd=root, env=env)
    assert hop.headers and not elsewhere.saw(AZ_KEY) and elsewhere.headers == []
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "redirect" in line and AZ_KEY not in line


def test_the_openai_key_never_goes_to_another_origin(tmp_path, elsewhere, keys):
    with Redirector(target=elsewhere.url, status=307) as hop:
        with pytest.raises(SpeechError) as err:
            speak(tmp_path, "openai", "retries = 1\n" + openai_toml(_Endpoint(hop.url)), TEXTS[:1], jobs=1)
    assert hop.headers[0]["Authorization"] == f"Bearer {OA_KEY}"
    assert elsewhere.headers == [] and not elsewhere.saw(OA_KEY)
    assert "redirect" in str(err.value) and OA_KEY not in str(err.value)


def test_a_redirect_on_the_same_host_is_followed(tmp_path, keys):
    """A 307 from /old/… to the real path on the same origin keeps method, body and key."""

    class Moved(AzureStandIn):
        def routes(self, app) -> None:
            super().routes(app)
            app.router.add_post("/old" + SPEAK_PATH, self._moved)

        async def _moved(self, request):
            from aiohttp import web

            await self.record(request)
            return web.Response(status=307, headers={"Location": SPEAK_PATH})

    with Moved(key=AZ_KEY) as server:
        result = speak(tmp_path, "azure", azure_toml(_Endpoint(server.base_url + "/old")), TEXTS[:1])
    assert [r.path for r in server.received] == ["/old" + SPEAK_PATH, SPEAK_PATH]
    assert result.synthesized == 1 and looks_like_mp3(result.clips[0].audio)


@pytest.mark.parametrize("engine", ["azure", "openai"])
@pytest.mark.parametrize("ctype, body", [("text/plain", b"hello"), ("application/json", b'{"ok": true}'),
                                         ("audio/mpeg", b"<html>captive portal</html>")])
def test_an_answer_that_is_not_audio_is_an_error_naming_the_engine(tmp_path, keys, engine, ctype, body):
    with Recorder(status=200, content_type=ctype, body=body) as server:
        toml = "retries = 1\n" + (azure_toml(server_url(server)) if engine == "azure" else
                                   openai_toml(server_url(server)))
        with pytest.raises(SpeechError) as err:
            speak(tmp_path, engine, toml, TEXTS[:1], jobs=1)
    msg = str(err.value)
    assert ("Azure Speech" if engine == "azure" else "OpenAI-compatible") in msg and "not audio" in msg, msg
    assert ctype in msg and len(server.headers) == 1  # not retried: a wrong answer does not get better


def looks_like_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def server_url(server) -> _Endpoint:
    return _Endpoint(server.url)


@pytest.mark.parametrize("status", [408, 429, 503])
@pytest.mark.parametrize("engine", ["azure", "openai"])
def test_a_key_in_the_reason_phrase_is_redacted(tmp_path, keys, engine, status):
    key = AZ_KEY if engine == "azure" else OA_KEY
    with Recorder(status=status, reason=f"Busy for key {key} try later", body=f"body {key}".encode()) as server:
        toml = "retries = 1\n" + (azure_toml(server_url(server)) if engine == "azure" else
                                   openai_toml(server_url(server)))
        with pytest.raises(SpeechError) as err:
            speak(tmp_path, engine, toml, TEXTS[:1], jobs=1)
    msg = str(err.value)
    assert key not in msg and f"HTTP {status}" in msg and "[key]" in msg, msg


def test_auto_warnings_redact_the_key_too(tmp_path, keys):
    with Recorder(status=503, reason=f"Overloaded {AZ_KEY}") as server:
        toml = 'retries = 1\nengines = ["azure", "espeak"]\n' + azure_toml(server_url(server))
        result = speak(tmp_path, "auto", toml, TEXTS[:1], jobs=1)
    assert result.engine == "espeak"
    assert result.warnings and all(AZ_KEY not in w for w in result.warnings) and "[key]" in result.warnings[0]


@pytest.mark.parametrize("declare", [False, True])
def test_an_endless_speech_answer_is_cut_off_at_a_cap_from_the_text(tmp_path, keys, declare):
    """100 MB of 'audio' for one short sentence: an error within seconds, not all of it read."""
    with Flood(total=100 * 1024 * 1024, declare=declare) as server:
        t0 = time.monotonic()
        with pytest.raises(SpeechError) as err:
            speak(tmp_path, "azure", "retries = 1\n" + azure_toml(server_url(server)), TEXTS[:1], jobs=1)
        elapsed = time.monotonic() - t0
        server.done.wait(10)
    msg = str(err.value)
    assert "Azure Speech" in msg and "larger than" in msg and "characters" in msg, msg
    assert elapsed < 20
    cap = (10 + len(TEXTS[0])) * 40_000  # README: 10 s + 1 s per character at 320 kbps
    assert server.sent < cap + 8 * 1024 * 1024, server.sent  # what the kernel buffers beyond the cap, no more
