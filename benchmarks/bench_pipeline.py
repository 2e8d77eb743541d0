"""Whole builds where speech and mastering overlap, and a one-item edit of a 60-minute episode.

    python -m benchmarks pipeline [--quick]

Cases (seconds, wall, each whole process; every baseline measured in this run):
- edge-overlap: a cold `studio build` of the weekly transcript (quick mode: 4 short items) against the local Edge stand-in
  modelled as the service behaves (0.8 s to the first byte, then audio streamed at 8x real time: `--rtf 0.125`,
  each answer padded with 0.8 s of silence: `--pad-ms 800`; audio rendered ahead) vs speech alone (a process that only
  synthesizes the same episode, same stand-in, same jobs) + one plain ffmpeg encode of the
  episode's PCM; target <= 1.3x.
- edge-vs-sequential: the same build vs a sequential edge-tts + pydub script (one request per
  item, each MP3 decoded by pydub, concatenated with gaps, exported at 96 kbps); target: the
  build takes <= 0.125x (>= 8x faster). Both cases again with the old instant model (300 ms, all audio at once)
  as secondary rows (there encoding dominates, not speech: no target against the loop).
- one-item-edit: an offline (espeak-ng) 60-minute episode of 120 items built cold, then one
  item edited and built again; target <= 0.5x. Quick mode: 12 items.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_build import _episode as weekly_or_quick
from benchmarks.common import REPO, WEEKLY, mastering_note, row, scratch_show, studio_cmd, timed_run
from studio.core.config import load_show
from studio.ingest import read_episode

LATENCY = 0.8  # the service: seconds to turn.start
RTF = 0.125  # then audio streamed at 8x real time
PAD_MS = 800  # and every answer padded with silence after its last word (edge-tts assumes 875 ms)
INSTANT_LATENCY = 0.3  # the secondary model: all audio at once after 300 ms
GAP_MS = 600


def _env(url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["STUDIO_EDGE_WSS_URL"] = url or "ws://127.0.0.1:9/unreachable"
    env.pop("STUDIO_EDGE_VOICES_URL", None)
    return env


def _plain_encode_s(mp3: Path, work: Path) -> float:
    """One plain ffmpeg encode of the episode's PCM (decoded from the built MP3 first, untimed)."""
    from studio.audio.ffmpeg import ffmpeg_exe, run_ffmpeg

    wav = work / "episode.wav"
    run_ffmpeg(["-i", str(mp3), "-ar", "44100", "-ac", "1", "-y", str(wav)])
    t0 = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(wav), "-b:a", "96k",
                    "-y", str(work / "plain.mp3")], check=True)
    return time.perf_counter() - t0


def speech_only(root: str, script: str, cache: str) -> None:
    """Child process: synthesize the episode (nothing else), as a build's speech stage does."""
    from studio.speech.synthesize import synthesize_episode

    show = load_show(Path(root) / "show.toml")
    episode = read_episode(Path(script))
    synthesize_episode(episode, show, "edge", Path(cache))


def sequential(texts_file: str, out: str, voice: str) -> None:
    """Child process: the straightforward script, one request after another, then pydub."""
    import asyncio

    import edge_tts

    from studio.audio.ffmpeg import decode_pcm
    from studio.audio.segments import AudioSegment, from_pcm
    from studio.speech.edge import point_edge_tts_at_endpoint

    point_edge_tts_at_endpoint()  # the stand-in, like Studio
    texts = json.loads(Path(texts_file).read_text("utf-8"))
    folder = Path(out).parent

    async def speak() -> None:
        for n, text in enumerate(texts):
            await edge_tts.Communicate(text, voice).save(str(folder / f"seq{n}.mp3"))

    asyncio.run(speak())
    seg = AudioSegment()
    episode = seg.empty()
    for n in range(len(texts)):  # pydub's from_mp3 runs ffmpeg the same way, then asks ffprobe (not installed)
        clip = from_pcm(decode_pcm(folder / f"seq{n}.mp3", 24000, 1), 24000)
        episode += clip + seg.silent(GAP_MS, frame_rate=24000)
    episode.export(out, format="mp3", bitrate="96k")


def _edge_times(quick: bool, *model: str) -> tuple[dict, list[dict]]:
    """One Edge model (stand-in options): a cold build, speech alone, one plain encode, the sequential script."""
    from benchmarks.bench_speech import StandInProcess

    root = scratch_show()
    try:
        script = weekly_or_quick(root, quick)
        show = load_show(root / "show.toml")
        episode = read_episode(script)
        texts = [it.speech_text for it in episode.items if it.speech_text.strip()]
        server = StandInProcess(texts, *model)  # the baseline's texts rendered ahead
        try:
            env = _env(server.url)
            build = studio_cmd("build", str(script), "--engine", "edge", "--json", "--quiet")
            timed_run(build, cwd=root, env=env)  # warm-up: the stand-in renders Studio's requests once
            shutil.rmtree(root / ".studio-cache"), shutil.rmtree(root / "public")
            t_build, _, proc = timed_run(build, cwd=root, env=env)
            out = Path(json.loads(proc.stdout)["out"])
            loud = json.loads((out / "manifest.json").read_text("utf-8"))["loudness"]
            work = json.loads(proc.stdout).get("mastering")
            t_speech, _, _ = timed_run([sys.executable, "-m", "benchmarks.bench_pipeline", "--speech-only",
                                        str(root), str(script), str(root / "speech-cache")], cwd=REPO, env=env)
            with tempfile.TemporaryDirectory() as tmp:
                t_encode = _plain_encode_s(Path(json.loads(proc.stdout)["audio"]), Path(tmp))
                texts_file = Path(tmp) / "texts.json"
                texts_file.write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
                t_seq, _, _ = timed_run([sys.executable, "-m", "benchmarks.bench_pipeline", "--sequential",
                                         str(texts_file), str(Path(tmp) / "seq.mp3"), show.voice], cwd=REPO, env=env)
        finally:
            server.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    times = {"build": t_build, "speech": t_speech, "encode": t_encode, "sequential": t_seq, "items": len(texts)}
    return times, [loud, work]


def bench_edge(quick: bool) -> list[dict]:
    """Main rows: the service as it behaves (0.8 s to turn.start, audio at 8x real time); secondary rows: 300 ms
    latency and all audio at once (the old model, where encoding dominates)."""
    rows = []
    for name, model, main in (("edge 0.8 s + 8x stream", ("--latency", str(LATENCY), "--rtf", str(RTF),
                                                          "--pad-ms", str(PAD_MS)), True),
                              ("edge 300 ms instant (secondary)", ("--latency", str(INSTANT_LATENCY)), False)):
        t, (loud, work) = _edge_times(quick, *model)
        floor = t["speech"] + t["encode"]
        # the secondary model has no target against the loop: with all audio at once a build is bound by
        # mastering and encoding, which the row above holds to speech + one plain encode
        seq_target, seq_ratio = ("≤ 0.125× (≥ 8× faster)", 0.125) if main else ("none (secondary model)", float("inf"))
        rows += [
            row(f"{name}: weekly build vs speech alone + one encode", t["build"], floor, "≤ 1.3×",
                t["build"] / floor <= 1.3, f"s; speech {t['speech']:.2f} s + encode {t['encode']:.2f} s; "
                f"{t['items']} items; " + mastering_note(loud, work)),
            row(f"{name}: weekly build vs sequential edge-tts + pydub", t["build"], t["sequential"], seq_target,
                t["build"] / t["sequential"] <= seq_ratio,
                f"s; {t['items']} requests one after another, pydub concat + export"),
        ]
    return rows


def long_script(items: int) -> str:
    """A 60-minute episode (120 items of ~120 characters: about 30 s of espeak-ng speech each)."""
    body = (REPO / WEEKLY).read_text("utf-8").split("+++")[-1]
    text = "".join(body.split())
    parts = ["+++\ntitle = '长节目'\ndate = 2026-01-12\nnumber = 12\nslug = 'long'\n+++\n"]
    for n in range(items):
        start = (n * 123) % max(1, len(text) - 130)
        parts.append(f"## 第{n + 1}条\n\n第{n + 1}条。{text[start:start + 120]}\n")
    return "\n".join(parts)


def bench_edit(quick: bool) -> list[dict]:
    items = 12 if quick else 120
    root = scratch_show()
    try:
        script = root / "episodes" / "long.md"
        script.write_text(long_script(items), "utf-8")
        build = studio_cmd("build", str(script), "--engine", "espeak", "--json", "--quiet")
        t_full, _, proc = timed_run(build, cwd=root, env=_env())
        summary = json.loads(proc.stdout)
        text = script.read_text("utf-8")
        script.write_text(text.replace(f"第{items // 2}条。", f"第{items // 2}条（更正）。", 1), "utf-8")
        t_edit, _, proc = timed_run(build, cwd=root, env=_env())
        edited = json.loads(proc.stdout)
        manifest = json.loads((Path(edited["out"]) / "manifest.json").read_text("utf-8"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    loud = manifest["loudness"]
    in_spec = abs(loud["integrated_lufs"] - loud["target_lufs"]) <= 0.5 and loud["true_peak_dbtp"] <= loud["target_true_peak_dbtp"]
    return [row(f"{summary['duration_ms'] / 60000:.0f}-min episode: one item edited vs full build", t_edit, t_full,
                "≤ 0.5×, loudness in spec", t_edit / t_full <= 0.5 and in_spec and edited["synthesized"] == 1,
                f"s; {items} items, {edited['synthesized']} synthesized; " + mastering_note(loud, edited.get("mastering")))]


def run(quick: bool = False) -> list[dict]:
    return bench_edge(quick) + bench_edit(quick)


if __name__ == "__main__":
    if "--speech-only" in sys.argv:
        speech_only(*sys.argv[sys.argv.index("--speech-only") + 1:][:3])
    elif "--sequential" in sys.argv:
        sequential(*sys.argv[sys.argv.index("--sequential") + 1:][:3])
    else:
        from benchmarks.__main__ import print_table

        print_table(run(quick="--quick" in sys.argv))
