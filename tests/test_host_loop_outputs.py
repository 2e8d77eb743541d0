"""Settings that do not affect an output do not rebuild it (issue 27.5): each output — the audio,
the email, the pages — has its own fingerprint. [smtp], [ses], [listen], [publish] change nothing built
([listen] only the email's unsubscribe link, when it makes it); [email] only the email; [site] only
the pages; [speech] and [audio] the audio (and so everything)."""

from __future__ import annotations

import email.parser
import email.policy
import json
from pathlib import Path

from studio.core.manifest import read_manifest
from tests.conftest import run_studio
from tests.host_loop_support import loop_show, script

ITEMS = [("第一条", "第一条新闻的内容。"), ("第二条", "第二条新闻的内容。")]
AUDIO = {"mp3", "clips", "transcript.vtt"}


def build(root: Path) -> dict:
    proc = run_studio(["build", "--engine", "espeak", "--json"], cwd=root)
    assert proc.returncode == 0, proc.stderr
    (episode,) = json.loads(proc.stdout)["episodes"]
    return episode


def add(root: Path, toml: str) -> None:
    path = root / "show.toml"
    path.write_text(path.read_text("utf-8") + "\n" + toml + "\n", "utf-8")


def stamps(out: Path) -> dict[str, int]:
    ep = out / "episodes" / "one"
    mp3 = read_manifest(ep / "manifest.json")[0].audio.file  # the episode's MP3 is named by its manifest
    files = {"mp3": mp3} | {name: name for name in ("clips", "transcript.vtt", "email.html", "email.eml", "index.html")}
    return {k: (ep / name).stat().st_mtime_ns for k, name in files.items()} | {"home": (out / "index.html").stat().st_mtime_ns}


def changed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {k for k in before if before[k] != after[k]}


def test_each_setting_rebuilds_only_the_outputs_made_from_it(tmp_path: Path):
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    out = root / "public"
    assert build(root)["status"] == "built"
    was = stamps(out)

    toml = root / "show.toml"
    toml.write_text(toml.read_text("utf-8").replace("items = 300 ", "items = 200 "), "utf-8")  # [limits]
    add(root, '[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\n[publish]\njobs = 2\n[ses]\nregion = "eu-west-1"\n'
              '[subscribers]\nconfirm_hours = 24\n# a comment')
    assert build(root)["status"] == "up to date" and stamps(out) == was

    add(root, '[listen]\npublic_url = "http://127.0.0.1:8080/list/"')  # it makes the email's unsubscribe link
    ep = build(root)
    assert (ep["status"], ep["rerendered"], ep["synthesized"]) == ("built", ["email"], 0)
    now = stamps(out)
    assert {"email.html", "email.eml"} <= changed(was, now) and not changed(was, now) & AUDIO  # the audio as it was
    assert "http://127.0.0.1:8080/list/unsubscribe" in (out / "episodes" / "one" / "email.html").read_text("utf-8")
    assert build(root)["status"] == "up to date"

    was = now
    add(root, '[email]\nsubject = "{show} · 第{number}期"')
    ep = build(root)
    assert ep["rerendered"] == ["email"] and not changed(was, stamps(out)) & AUDIO
    with open(out / "episodes" / "one" / "email.eml", "rb") as f:
        assert email.parser.BytesHeaderParser(policy=email.policy.default).parse(f)["Subject"].endswith("· 第1期")

    was = stamps(out)
    add(root, '[site]\nindex_episodes = 5')
    ep = build(root)
    assert ep["rerendered"] == ["pages"] and not changed(was, stamps(out)) & (AUDIO | {"email.html"})

    was = stamps(out)
    text = (root / "show.toml").read_text("utf-8").replace("gap = 0.6 ", "gap = 0.9 ")
    (root / "show.toml").write_text(text, "utf-8")  # [audio]: the audio, from the cached clips
    ep = build(root)
    assert (ep["status"], ep["rerendered"], ep["synthesized"], ep["cached"]) == ("built", [], 0, 2)
    assert {"mp3", "email.html"} <= changed(was, stamps(out))

    was = stamps(out)
    add(root, '[speech]\nrate = "+10%"')  # the voice speaks faster: every clip again
    ep = build(root)
    assert (ep["status"], ep["synthesized"]) == ("built", 2) and "mp3" in changed(was, stamps(out))


def test_a_shows_own_template_may_read_any_setting(tmp_path: Path):
    """With its own templates a show's email and pages may use any setting: then every one counts for
    them (never for the audio)."""
    root = loop_show(tmp_path / "show", {"a.md": script("一", "2026-03-01", 1, ITEMS, slug="one")})
    assert run_studio(["template", "copy", "email.txt.j2"], cwd=root).returncode == 0
    assert build(root)["status"] == "built"
    add(root, '[smtp]\nhost = "mail.example.org"')
    ep = build(root)
    assert (ep["status"], ep["rerendered"]) == ("built", ["email", "pages"])
