"""`studio build` / `studio voices` / `studio cache` through the real CLI, with the Edge stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.edge_server import EdgeStandIn, Fault
from tests.conftest import bare_env, make_show, run_studio
from tests.speech_support import load_json, parse_cues

EPISODE = """---
title: "测试周报"
date: 2024-03-27
slug: test-weekly
{extra}---

# 测试周报

# 热点新闻

## 英伟达市值突破一万亿美元

英伟达市值首度突破一万亿美元。风险投资公司A16Z和A16Zeta都在关注。

## 微软聘请苏莱曼

微软宣布聘请苏莱曼领导新的消费者人工智能部门。

# 工具篇

## 新工具

GPU demand sees NVIDIA print blowout earnings as it enters the market cap club. 这是一个英文标题。
"""


@pytest.fixture(scope="module")
def server():
    with EdgeStandIn(extra_voices=[{"ShortName": "zh-CN-XiaochenNeural", "Locale": "zh-CN", "Gender": "Female",
                                    "FriendlyName": "Microsoft Xiaochen Online (Natural) - Chinese (Mainland)"}]) as s:
        yield s


@pytest.fixture
def show(tmp_path, server):
    root = make_show(tmp_path)
    server.faults.clear()
    server.reset_counts()
    return root


def env_for(server) -> dict[str, str]:
    env = bare_env()
    env["STUDIO_EDGE_WSS_URL"] = server.url
    return env


def write_episode(root: Path, extra: str = "") -> Path:
    p = root / "episodes" / "test.md"
    p.write_text(EPISODE.format(extra=extra), "utf-8")
    return p


def build(root: Path, server, *args: str):
    return run_studio(["build", "episodes/test.md", "--json", *args], cwd=root, env=env_for(server))


def test_build_with_edge_writes_clips_manifest_and_transcripts(show, server):
    write_episode(show)
    proc = build(show, server, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["engine"] == "edge"
    assert (summary["synthesized"], summary["cached"], summary["retried"], summary["failed"]) == (3, 0, 0, 0)
    assert server.max_in_flight <= 2
    ep_dir = Path(summary["out"])
    manifest = load_json(ep_dir / "manifest.json")
    assert manifest["transcripts"] == [
        {"file": "transcript.vtt", "type": "text/vtt"},
        {"file": "transcript.srt", "type": "application/x-subrip"},
    ]
    assert all(item["words"] > 3 and item["voices"] == ["zh-CN-XiaoxiaoNeural"] for item in manifest["items"])

    cues = parse_cues((ep_dir / "transcript.vtt").read_text("utf-8"))
    srt = (ep_dir / "transcript.srt").read_text("utf-8")
    assert srt.count(" --> ") == len(cues) >= 3
    for (s1, e1, _), (s2, _, _) in zip(cues, cues[1:]):
        assert s1 < e1 <= s2  # in order, no overlaps
    assert all(len(text) <= 65 for _, _, text in cues)
    # every item's words land inside that item's place in the episode
    for item in manifest["items"]:
        inside = [t for s, e, t in cues if item["start_ms"] / 1000 - 0.01 <= s and e <= item["end_ms"] / 1000 + 0.01]
        assert inside, item["title"]
    assert any("英伟达市值首度突破一万亿美元" in t for _, _, t in cues)
    assert cues[-1][1] <= manifest["audio"]["duration_ms"] / 1000 + 0.01


def test_rebuild_makes_no_request_and_an_edit_resynthesizes_one_item(show, server):
    write_episode(show)
    assert build(show, server).returncode == 0
    server.reset_counts()
    # rebuilt with the service unreachable: `auto` must not even probe it when every clip is cached
    proc = run_studio(["build", "episodes/test.md", "--json"], cwd=show)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["synthesized"], summary["cached"], summary["engine"]) == (0, 3, "edge")
    assert "WARNING" not in proc.stderr and server.requests == 0

    text = (show / "episodes" / "test.md").read_text("utf-8").replace("领导新的", "带领新的")
    (show / "episodes" / "test.md").write_text(text, "utf-8")
    summary = json.loads(build(show, server).stdout)
    assert (summary["synthesized"], summary["cached"]) == (1, 2)
    assert server.requests == 1 and "带领新的" in server.texts[0]


def test_lexicon_changes_speech_only_and_matches_whole_words(show, server):
    write_episode(show)
    (show / "lexicon.toml").write_text('"A16Z" = "A十六Z"\n"苏莱曼" = "苏莱曼先生"\n', "utf-8")
    proc = build(show, server)
    assert proc.returncode == 0, proc.stderr
    spoken = " ".join(server.texts)
    assert "A十六Z和A16Zeta" in spoken and "苏莱曼先生" in spoken
    email = (Path(json.loads(proc.stdout)["email_html"])).read_text("utf-8")
    assert "A16Z和A16Zeta" in email and "A十六Z" not in email


def test_transcripts_show_the_written_words_not_lexicon_respellings(show, server):
    write_episode(show)
    (show / "lexicon.toml").write_text('"A16Z" = "A sixteen Z"\n"苏莱曼" = "苏莱曼先生"\n', "utf-8")
    proc = build(show, server)
    assert proc.returncode == 0, proc.stderr
    assert "A sixteen Z" in " ".join(server.texts)  # the voice got the respelling
    ep_dir = Path(json.loads(proc.stdout)["out"])
    for name in ("transcript.vtt", "transcript.srt"):
        shown = (ep_dir / name).read_text("utf-8")
        assert "sixteen" not in shown and "苏莱曼先生" not in shown, name
        assert "A16Z和A16Zeta" in shown.replace("\n", "") and "苏莱曼" in shown, name


def test_hosts_sections_and_english_voice(show, server):
    extra = (
        'hosts: ["zh-CN-YunxiNeural", "zh-CN-XiaoyiNeural"]\n'
        "english_voice: en-US-AriaNeural\n"
        "voices:\n  \"2\": zh-CN-YunjianNeural\n"
    )
    write_episode(show, extra)
    proc = build(show, server)
    assert proc.returncode == 0, proc.stderr
    manifest = load_json(Path(json.loads(proc.stdout)["out"]) / "manifest.json")
    voices = [it["voices"] for it in manifest["items"]]
    assert voices == [["zh-CN-YunxiNeural"], ["zh-CN-YunjianNeural"], ["zh-CN-YunxiNeural", "en-US-AriaNeural"]]
    sent = dict(zip(server.texts, server.voices_used))
    assert sent["GPU demand sees NVIDIA print blowout earnings as it enters the market cap club."] == "en-US-AriaNeural"
    assert sent["这是一个英文标题。"] == "zh-CN-YunxiNeural"


def test_unknown_voice_is_one_line_with_a_suggestion(show, server):
    write_episode(show, "voices:\n  热点新闻: zh-CN-YunxiNeurl\n")
    proc = build(show, server)
    assert proc.returncode == 1 and server.requests == 0
    (line,) = proc.stderr.strip().splitlines()
    assert "episodes/test.md" in line and "voices.热点新闻" in line and "zh-CN-YunxiNeural" in line

    write_episode(show)
    toml = (show / "show.toml").read_text("utf-8").replace('voice = "zh-CN-XiaoxiaoNeural"', 'voice = "zh-CN-xiaoxiaoneural"')
    (show / "show.toml").write_text(toml, "utf-8")
    proc = build(show, server)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert "show.toml" in line and "did you mean zh-CN-XiaoxiaoNeural?" in line


def test_permanent_failure_exits_with_one_line_and_writes_nothing(show, server):
    write_episode(show)
    server.faults.append(Fault("no_audio", first=None, match="微软"))
    (show / "show.toml").write_text((show / "show.toml").read_text("utf-8") + "\n[speech]\nretries = 1\nretry_backoff = 0.01\n", "utf-8")
    proc = build(show, server, "--engine", "edge")  # (auto would fall back to espeak for the whole episode)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: ") and "item 2 ('微软聘请苏莱曼')" in line and "NoAudioReceived" in line
    assert "Traceback" not in proc.stderr
    assert not (show / "public" / "episodes" / "test-weekly" / "manifest.json").exists()
    assert len(list((show / ".studio-cache").glob("??/*.json"))) == 2


def test_transient_faults_are_reported_as_retries(show, server):
    write_episode(show)
    server.faults.append(Fault("mixed", first=1))
    proc = build(show, server)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["retried"] == 3 and summary["failed"] == 0 and summary["synthesized"] == 3


def test_voices_offline_lists_the_bundled_zh_voices(tmp_path):
    proc = run_studio(["voices", "--lang", "zh"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert "zh-CN-XiaoxiaoNeural" in names and "zh-TW-HsiaoChenNeural" in names
    assert all(n.startswith("zh-") for n in names)
    assert "bundled" in proc.stderr
    data = json.loads(run_studio(["voices", "--lang", "en-GB", "--json", "--offline"], cwd=tmp_path).stdout)
    assert data["source"] == "bundled" and {v["Locale"] for v in data["voices"]} == {"en-GB"}


def test_voices_live_list_is_used_and_remembered_for_validation(show, server):
    proc = run_studio(["voices", "--lang", "zh-CN", "--json"], cwd=show, env=env_for(server))
    data = json.loads(proc.stdout)
    assert data["source"] == "live" and server.voice_list_requests == 1
    assert "zh-CN-XiaochenNeural" in [v["ShortName"] for v in data["voices"]]
    write_episode(show, "voice: zh-CN-XiaochenNeural\n")  # not in the bundled list, but in the live one
    proc = build(show, server)
    assert proc.returncode == 0, proc.stderr


def test_cache_info_and_prune(show, server):
    write_episode(show)
    assert build(show, server).returncode == 0
    info = json.loads(run_studio(["cache", "info", "--json"], cwd=show).stdout)
    assert info["entries"] == 3 and info["engines"] == {"edge": 3} and info["bytes"] > 10_000
    proc = run_studio(["cache", "prune"], cwd=show)
    assert proc.returncode == 0 and "removed 0 clips" in proc.stdout
    proc = run_studio(["cache", "prune", "--all"], cwd=show)
    assert "removed 3 clips" in proc.stdout
    assert json.loads(run_studio(["cache", "info", "--json"], cwd=show).stdout)["entries"] == 0
