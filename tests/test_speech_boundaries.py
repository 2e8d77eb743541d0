"""The Edge service answering with only sentence boundaries, or none: the real
edge-tts client against the stand-in in those modes (issue 11, part 2)."""

from __future__ import annotations

import pytest

from devtools.edge_server import EdgeStandIn, Fault
from studio.speech.align import coverage_problem
from studio.speech.assemble import clip_duration_ms
from studio.speech.synthesize import synthesize_episode
from studio.speech.transcript import write_transcripts
from tests.conftest import bare_env, make_show, run_studio
from tests.speech_support import episode, parse_cues, show_at

TEXTS = [
    "大家好，这里是本周的科技新闻。",
    "英伟达市值首度突破一万亿美元。华尔街分析师对英伟达的估值继续上调。",
    "这期节目就到这里，感谢收听。",
]


@pytest.fixture(params=["sentence", "none"])
def mode_server(request, monkeypatch):
    server = EdgeStandIn(boundaries=request.param).start()
    monkeypatch.setenv("STUDIO_EDGE_WSS_URL", server.url)
    yield request.param, server
    server.stop()


def speak(tmp_path, engine="edge", texts=TEXTS, speech=""):
    show = show_at(tmp_path, speech=speech)
    return synthesize_episode(episode(texts, tmp_path), show, engine, tmp_path / "cache", jobs=4, seed=1)


def test_clips_without_word_boundaries_are_accepted(tmp_path, mode_server):
    mode, server = mode_server
    result = speak(tmp_path)
    assert result.engine == "edge" and result.synthesized == 3 and result.retried == 0 and result.failed == 0
    assert server.outcomes == ["ok"] * 3
    kinds = {b.kind for c in result.clips for b in c.boundaries}
    assert kinds == ({"sentence"} if mode == "sentence" else set())


@pytest.mark.parametrize("kind", ["truncate", "no_audio"])
def test_a_clip_cut_short_is_still_rejected_and_retried(tmp_path, mode_server, kind):
    _, server = mode_server
    server.faults.append(Fault(kind, first=1, match="英伟达"))
    result = speak(tmp_path)
    assert result.retried == 1 and result.failed == 0
    assert server.outcomes.count(kind) == 1
    clip = result.clips[1]
    assert coverage_problem(clip.text, clip.boundaries, clip_duration_ms(clip)) is None


def test_duration_check_catches_half_a_clip_and_passes_a_whole_one(tmp_path, mode_server):
    _, server = mode_server
    r = server._render("zh-CN-XiaoxiaoNeural", TEXTS[1])
    from studio.speech.mp3frames import mp3_duration_ms

    full = mp3_duration_ms(r.mp3)
    assert coverage_problem(TEXTS[1], [], full) is None
    assert "too short" in coverage_problem(TEXTS[1], [], full / 2)
    assert coverage_problem(TEXTS[1], [], full / 1.6, rate="+50%") is None  # a faster voice is not cut short


def test_transcripts_fall_back_to_sentences_then_proportional(tmp_path, mode_server):
    mode, _ = mode_server
    result = speak(tmp_path)
    starts = [0.0, 10_000.0, 30_000.0]
    write_transcripts(tmp_path, result.clips, starts)
    cues = parse_cues((tmp_path / "transcript.vtt").read_text("utf-8"))
    texts = [t for _, _, t in cues]
    assert texts == ["大家好，这里是本周的科技新闻。", "英伟达市值首度突破一万亿美元。",
                     "华尔街分析师对英伟达的估值继续上调。", "这期节目就到这里，感谢收听。"]
    for (s1, e1, _), (s2, _, _) in zip(cues, cues[1:]):
        assert s1 < e1 <= s2
    second = [c for c in cues if 10 <= c[0] < 30]
    assert len(second) == 2 and second[0][0] >= 10.0 and second[1][1] <= 10 + clip_duration_ms(result.clips[1]) / 1000 + 0.3


def test_build_says_once_which_timing_it_used(tmp_path, mode_server):
    mode, server = mode_server
    root = make_show(tmp_path)
    env = bare_env()
    env["STUDIO_EDGE_WSS_URL"] = server.url
    (root / "episodes" / "t.md").write_text(
        "---\ntitle: T\ndate: 2024-03-27\nslug: t\n---\n\n# T\n\n## 一\n\n" + TEXTS[1] + "\n\n## 二\n\n" + TEXTS[2] + "\n",
        "utf-8")
    proc = run_studio(["build", "episodes/t.md", "--engine", "edge"], cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    expected = "sentence boundaries" if mode == "sentence" else "in proportion"
    assert proc.stderr.count("Transcript timed by") == 1 and expected in proc.stderr
    cues = parse_cues((root / "public" / "episodes" / "t" / "transcript.vtt").read_text("utf-8"))
    assert [t for _, _, t in cues] == ["一。", "英伟达市值首度突破一万亿美元。", "华尔街分析师对英伟达的估值继续上调。",
                                       "二。", "这期节目就到这里，感谢收听。"]


def test_auto_falls_back_to_espeak_for_the_whole_episode_when_edge_keeps_failing(tmp_path, monkeypatch):
    with EdgeStandIn(faults=[Fault("no_audio", first=None, match="英伟达")]) as server:
        monkeypatch.setenv("STUDIO_EDGE_WSS_URL", server.url)
        result = speak(tmp_path, engine="auto", speech="retries = 1")
    assert result.engine == "espeak"
    assert {c.engine for c in result.clips} == {"espeak"} and {c.fmt for c in result.clips} == {"wav"}  # no mix
    (warning,) = result.warnings
    assert "Edge TTS skipped" in warning and "no audio" in warning and "espeak-ng" in warning
    assert "item 2" in warning


def test_auto_falls_back_when_every_connection_is_refused(tmp_path, monkeypatch):
    with EdgeStandIn(faults=[Fault("503", first=None)]) as server:
        monkeypatch.setenv("STUDIO_EDGE_WSS_URL", server.url)
        result = speak(tmp_path, engine="auto", speech="retries = 1")
    assert result.engine == "espeak" and "HTTP 503" in result.warnings[0]
