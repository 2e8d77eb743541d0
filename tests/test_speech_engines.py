"""The azure and openai engines against local stand-ins written from the public
API docs (issue 18): real MP3, the requests they received, faults, auto order."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from devtools.azure_server import AzureStandIn
from devtools.http_standin import HttpFault
from devtools.openai_server import OpenAIStandIn
from studio.core.errors import ConfigError, SpeechError
from studio.speech.engines import check_engine_settings
from studio.speech.synthesize import synthesize_episode
from tests.conftest import bare_env, make_show, run_studio
from tests.speech_support import episode, load_json, parse_cues, show_at

AZ_KEY = "azure-secret-0123456789abcdef"
OA_KEY = "sk-openai-secret-0123456789"
TEXTS = ["大家好，这里是本周的科技新闻。", "英伟达市值首度突破一万亿美元。华尔街分析师继续上调估值。", "感谢收听。"]
SSML = "{http://www.w3.org/2001/10/synthesis}"
EPISODE = """---
title: "测试周报"
date: 2024-03-27
slug: test-weekly
hosts: ["zh-CN-XiaoxiaoNeural", "zh-CN-YunxiNeural"]
---

# 测试周报

## 英伟达

英伟达市值首度突破一万亿美元。风险投资公司A16Z在关注。

## 微软

微软宣布聘请苏莱曼领导新的消费者人工智能部门。
"""


@pytest.fixture
def azure(monkeypatch):
    with AzureStandIn(key=AZ_KEY, token="bearer-token-xyz") as server:
        monkeypatch.setenv("STUDIO_AZURE_SPEECH_KEY", AZ_KEY)
        yield server


@pytest.fixture
def openai(monkeypatch):
    with OpenAIStandIn(key=OA_KEY) as server:
        monkeypatch.setenv("OPENAI_API_KEY", OA_KEY)
        yield server


def azure_toml(server) -> str:
    return f'[speech.azure]\nendpoint = "{server.base_url}"\noutput_format = "audio-24khz-96kbitrate-mono-mp3"\n'


def openai_toml(server, key_env: str = "OPENAI_API_KEY") -> str:
    return (f'[speech.openai]\nbase_url = "{server.base_url}/v1"\nmodel = "kokoro"\napi_key_env = "{key_env}"\n'
            '[speech.openai.voices]\n"zh-CN-XiaoxiaoNeural" = "zf_xiaoxiao"\n"zh-CN-YunxiNeural" = "zm_yunxi"\n')


def speak(tmp_path, engine, speech, texts=TEXTS, jobs=4, **kw):
    show = show_at(tmp_path, speech=speech)
    return synthesize_episode(episode(texts, tmp_path), show, engine, tmp_path / "cache", jobs=jobs, seed=1, **kw)


def cli_show(tmp_path, speech: str) -> Path:
    root = make_show(tmp_path)
    toml = (root / "show.toml").read_text("utf-8")
    (root / "show.toml").write_text(toml + "\n[speech]\nretry_backoff = 0.01\ntimeout = 5\n" + speech, "utf-8")
    (root / "episodes" / "test.md").write_text(EPISODE, "utf-8")
    return root


def no_secret_anywhere(root: Path, proc, secret: str) -> None:
    assert secret not in proc.stdout and secret not in proc.stderr
    for p in root.rglob("*"):
        if p.is_file():
            assert secret.encode() not in p.read_bytes(), p


def test_build_with_azure_sends_ssml_with_the_key_and_format(tmp_path, azure):
    root = cli_show(tmp_path, 'rate = "+10%"\n' + azure_toml(azure))
    env = dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=AZ_KEY)
    proc = run_studio(["build", "episodes/test.md", "--engine", "azure", "--json"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["engine"] == "azure" and summary["synthesized"] == 2
    speech = [r for r in azure.received if r.path == "/cognitiveservices/v1"]
    assert len(speech) == 2
    voices = []
    for r in speech:
        assert r.method == "POST" and r.headers["Ocp-Apim-Subscription-Key"] == AZ_KEY
        assert r.headers["Content-Type"] == "application/ssml+xml"
        assert r.headers["X-Microsoft-OutputFormat"] == "audio-24khz-96kbitrate-mono-mp3"
        root_el = ET.fromstring(r.body.decode("utf-8"))
        voice = root_el.find(f"{SSML}voice")
        prosody = voice.find(f"{SSML}prosody")
        assert root_el.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
        assert prosody.get("rate") == "+10%" and prosody.get("pitch") == "+0Hz"
        voices.append(voice.get("name"))
    assert sorted(voices) == ["zh-CN-XiaoxiaoNeural", "zh-CN-YunxiNeural"]  # the hosts alternate
    ep_dir = Path(summary["out"])
    manifest = load_json(ep_dir / "manifest.json")
    assert manifest["engine"] == "azure"
    assert [i["voices"] for i in manifest["items"]] == [["zh-CN-XiaoxiaoNeural"], ["zh-CN-YunxiNeural"]]
    cues = parse_cues((ep_dir / "transcript.vtt").read_text("utf-8"))
    assert any("英伟达市值首度突破一万亿美元。" == t for _, _, t in cues)
    assert "in proportion" in run_studio(["build", "episodes/test.md", "--engine", "azure", "--force"],
                                         cwd=root, env=env).stderr
    no_secret_anywhere(root, proc, AZ_KEY)

    azure.reset_counts()  # a rebuild (even forced) is served from the cache
    proc = run_studio(["build", "episodes/test.md", "--engine", "azure", "--json", "--force"], cwd=root, env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["cached"] == 2 and azure.received == []


def test_azure_bearer_token_is_sent_instead_of_the_key(tmp_path, azure, monkeypatch):
    monkeypatch.setenv("AZ_TOKEN", "bearer-token-xyz")
    result = speak(tmp_path, "azure", azure_toml(azure) + 'token_env = "AZ_TOKEN"\n', TEXTS[:1])
    (r,) = azure.received
    assert r.headers["Authorization"] == "Bearer bearer-token-xyz" and "Ocp-Apim-Subscription-Key" not in r.headers
    assert result.clips[0].fmt == "mp3" and len(result.clips[0].audio) > 1000


def test_build_with_openai_sends_json_with_the_mapped_voices(tmp_path, openai):
    root = cli_show(tmp_path, openai_toml(openai))
    env = dict(bare_env(), OPENAI_API_KEY=OA_KEY)
    proc = run_studio(["build", "episodes/test.md", "--engine", "openai", "--json"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["engine"] == "openai"
    assert len(openai.received) == 2
    bodies = []
    for r in openai.received:
        assert r.method == "POST" and r.path == "/v1/audio/speech"
        assert r.headers["Authorization"] == f"Bearer {OA_KEY}" and r.headers["Content-Type"] == "application/json"
        bodies.append(r.json())
    assert {b["model"] for b in bodies} == {"kokoro"} and {b["response_format"] for b in bodies} == {"mp3"}
    assert sorted(b["voice"] for b in bodies) == ["zf_xiaoxiao", "zm_yunxi"]
    assert any("英伟达市值首度突破一万亿美元" in b["input"] for b in bodies)
    assert all("speed" not in b for b in bodies)
    no_secret_anywhere(root, proc, OA_KEY)

    openai.reset_counts()
    proc = run_studio(["build", "episodes/test.md", "--engine", "openai", "--json", "--force"], cwd=root, env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["cached"] == 2 and openai.received == []


def test_openai_without_a_key_for_a_local_server_and_speed_from_rate(tmp_path):
    with OpenAIStandIn(key="") as server:
        result = speak(tmp_path, "openai", 'rate = "+50%"\n' + openai_toml(server, key_env=""), TEXTS[:1])
        (r,) = server.received
    assert "Authorization" not in r.headers and r.json()["speed"] == 1.5 and result.synthesized == 1


def test_openai_unmapped_voice_is_a_one_line_config_error(tmp_path, openai):
    toml = openai_toml(openai).replace('"zh-CN-XiaoxiaoNeural" = "zf_xiaoxiao"\n', "")
    with pytest.raises(ConfigError, match=r"show.toml: engine openai: no server voice for zh-CN-XiaoxiaoNeural"):
        speak(tmp_path, "openai", toml)
    assert openai.received == []


def test_openai_long_input_is_split_at_sentence_ends(tmp_path, openai):
    long = "".join(f"第{k}句新闻说英伟达发布了新的芯片。" for k in range(12))
    result = speak(tmp_path, "openai", openai_toml(openai), [long], limit=120)
    inputs = [r.json()["input"] for r in openai.received]
    assert len(inputs) > 2 and all(len(i.encode()) <= 120 and i.endswith("。") for i in inputs)
    assert "".join(sorted(inputs, key=long.index)) == long and result.synthesized == 1  # sent longest first


@pytest.mark.parametrize("engine", ["azure", "openai"])
@pytest.mark.parametrize("kind", ["429", "500", "cut", "empty", "short", "slow"])
def test_faults_are_retried_until_the_clip_is_whole(tmp_path, azure, openai, engine, kind):
    server = azure if engine == "azure" else openai
    server.prerender(TEXTS, "zh-CN-XiaoxiaoNeural", 24000, 96 if engine == "azure" else 48)  # answers never lag
    server.slow_seconds = 8
    server.faults.append(HttpFault(kind, first=1, match="英伟达", retry_after="1"))
    toml = ("timeout = 3\n" if kind == "slow" else "") + (azure_toml(azure) if engine == "azure" else openai_toml(openai))
    t0 = time.monotonic()
    result = speak(tmp_path, engine, toml)
    assert result.retried == 1 and result.failed == 0 and result.synthesized == 3
    assert server.outcomes.count(kind) == 1 and server.outcomes.count("ok") == 3
    if kind == "429":  # the service's Retry-After (1 s), not our 10 ms backoff
        assert time.monotonic() - t0 >= 1.0
    full = server._render("zh-CN-XiaoxiaoNeural", TEXTS[1], 24000, 96 if engine == "azure" else 48, "mp3")
    assert result.clips[1].audio == full


@pytest.mark.parametrize("engine", ["azure", "openai"])
def test_a_refused_key_is_one_configuration_error_naming_the_variable(tmp_path, azure, openai, engine, monkeypatch):
    monkeypatch.setenv("STUDIO_AZURE_SPEECH_KEY", "wrong-key-123")
    monkeypatch.setenv("OPENAI_API_KEY", "wrong-key-123")
    toml = azure_toml(azure) if engine == "azure" else openai_toml(openai)
    with pytest.raises(SpeechError) as err:
        speak(tmp_path, engine, toml, jobs=1)
    msg = str(err.value)
    assert "HTTP 401" in msg and ("STUDIO_AZURE_SPEECH_KEY" if engine == "azure" else "OPENAI_API_KEY") in msg
    assert "item" not in msg and "\n" not in msg and "wrong-key-123" not in msg
    server = azure if engine == "azure" else openai
    assert len(server.received) == 1  # no retry, no further request with a refused key


def test_auto_tries_engines_in_order_and_names_why_each_was_skipped(tmp_path, azure, openai, monkeypatch):
    monkeypatch.delenv("STUDIO_AZURE_SPEECH_KEY")
    toml = 'engines = ["azure", "openai", "espeak"]\n' + azure_toml(azure) + openai_toml(openai)
    result = speak(tmp_path / "a", "auto", toml)
    assert result.engine == "openai" and {c.engine for c in result.clips} == {"openai"}
    (warning,) = result.warnings
    assert "Azure Speech skipped" in warning and "STUDIO_AZURE_SPEECH_KEY" in warning and "trying the OpenAI" in warning

    monkeypatch.setenv("STUDIO_AZURE_SPEECH_KEY", AZ_KEY)  # azure answers: it builds everything, openai is not asked
    openai.reset_counts()
    result = speak(tmp_path / "b", "auto", toml)
    assert result.engine == "azure" and result.warnings == [] and openai.received == []

    azure.faults.append(HttpFault("500", first=None))  # azure keeps failing: openai builds the whole episode
    result = speak(tmp_path / "c", "auto", "retries = 1\n" + toml)
    assert result.engine == "openai" and {c.engine for c in result.clips} == {"openai"}
    assert "Azure Speech skipped: failed" in result.warnings[0] and "HTTP 500" in result.warnings[0]

    azure.reset_counts()
    openai.reset_counts()  # a rebuild keeps the voices it had, from the cache: no request to anyone
    result = speak(tmp_path / "c", "auto", toml)
    assert result.engine == "openai" and result.cached == 3 and openai.received == [] and azure.received == []


def test_voices_lists_azure_voices_and_the_openai_map(tmp_path, azure, openai):
    root = cli_show(tmp_path, azure_toml(azure) + openai_toml(openai))
    env = dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=AZ_KEY)
    proc = run_studio(["voices", "--engine", "azure", "--lang", "zh-CN", "--json"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == "azure" and "zh-CN-XiaoxiaoNeural" in [v["ShortName"] for v in data["voices"]]
    assert azure.received[0].path == "/cognitiveservices/voices/list"
    assert azure.received[0].headers["Ocp-Apim-Subscription-Key"] == AZ_KEY
    proc = run_studio(["voices", "--engine", "openai"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "zh-CN-XiaoxiaoNeural" in proc.stdout and "zf_xiaoxiao" in proc.stdout


@pytest.mark.parametrize("speech, problem", [
    ('engines = ["azure", "polly"]', "speech.engines"),
    ('engines = []', "speech.engines"),
    ('[speech.azure]\nkey_env = "0123456789abcdef0123456789abcdef"', "NAME of an environment variable"),
    ('[speech.azure]\nkey_env = "abcdef0123456789abcdef0123456789"', "NAME of an environment variable"),
    ('[speech.openai]\napi_key_env = "sk-proj-abc"', "speech.openai.api_key_env"),
    ('[speech.azure]\noutput_format = "audio-16khz-32kbitrate-mono-mp3"', "24 kHz"),
    ('[speech.openai]\nbase_url = "ftp://x"', "speech.openai.base_url"),
    ('[speech.openai]\nresponse_format = "opus"', "mp3 or wav"),
    ('[speech.azure]\nregoin = "x"', "did you mean 'speech.azure.region'"),
])
def test_engine_settings_are_checked_with_one_line(tmp_path, speech, problem):
    with pytest.raises(ConfigError, match=problem) as err:
        check_engine_settings(show_at(tmp_path, speech=speech))  # the registry's names, after the file's own checks
    assert "show.toml" in str(err.value) and "\n" not in str(err.value)


def test_build_with_a_missing_key_is_one_line_naming_the_variable(tmp_path, azure):
    root = cli_show(tmp_path, azure_toml(azure))
    proc = run_studio(["build", "episodes/test.md", "--engine", "azure"], cwd=root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "STUDIO_AZURE_SPEECH_KEY" in proc.stderr and "is not set" in proc.stderr and azure.received == []


def test_auto_with_no_usable_engine_left_is_a_config_error(tmp_path, azure, monkeypatch):
    monkeypatch.delenv("STUDIO_AZURE_SPEECH_KEY")
    with pytest.raises(ConfigError, match="engine azure: the environment variable STUDIO_AZURE_SPEECH_KEY"):
        speak(tmp_path, "auto", 'engines = ["azure"]\n' + azure_toml(azure))


def test_openai_wav_response_format(tmp_path, openai):
    toml = openai_toml(openai).replace('model = "kokoro"', 'model = "kokoro"\nresponse_format = "wav"')
    result = speak(tmp_path, "openai", toml, TEXTS[:2])
    assert {r.json()["response_format"] for r in openai.received} == {"wav"}
    assert [c.fmt for c in result.clips] == ["wav", "wav"] and all(c.audio[:4] == b"RIFF" for c in result.clips)


def test_retry_after_as_seconds_or_http_date():
    import email.utils

    from studio.speech.http import retry_after_seconds

    assert retry_after_seconds("2") == 2.0 and retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds(later) <= 31


@pytest.mark.parametrize("path", ["", "/", "/cognitiveservices/v1", "/cognitiveservices/v1/",
                                  "/cognitiveservices/voices/list"])
def test_azure_endpoint_is_the_base_or_the_full_url_azure_shows(tmp_path, azure, path):
    """Azure's pages show the endpoint as the full URL (…/cognitiveservices/v1): pasted as is, it works."""
    toml = azure_toml(azure).replace(azure.base_url, azure.base_url + path)
    root = cli_show(tmp_path, toml)
    env = dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=AZ_KEY)
    proc = run_studio(["build", "episodes/test.md", "--engine", "azure", "--json"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["synthesized"] == 2
    proc = run_studio(["voices", "--engine", "azure", "--lang", "zh-CN", "--json"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "zh-CN-XiaoxiaoNeural" in [v["ShortName"] for v in json.loads(proc.stdout)["voices"]]
    assert {r.path for r in azure.received} == {"/cognitiveservices/v1", "/cognitiveservices/voices/list"}
