"""Golden output: both examples built with the offline voice, compared with stored expectations.

What is compared is structure and text, not audio bytes: the manifest (keys, items, titles,
texts, links; measured numbers replaced by their kind), the feed as an outline, the email's
headers, visible text, links and images, and the plain-text part. A refactor that changes
what a reader or a podcast app gets shows up here as a diff.

After an intended change: `STUDIO_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`,
then read the diff of tests/fixtures/golden/ before committing it.
"""

from __future__ import annotations

import difflib
import email
import email.policy
import json
import os
import re
from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from tests.conftest import REPO

GOLDEN = REPO / "tests" / "fixtures" / "golden"
UPDATE = bool(os.environ.get("STUDIO_UPDATE_GOLDEN"))

# manifest keys whose values are measured from audio or depend on the build's machine
MEASURED = {"bytes", "duration_ms", "sha256", "clip_bytes", "start_ms", "end_ms", "loudness", "audio_key",
            "fingerprint", "studio", "pieces", "passes", "limiter", "calibrated", "words", "inputs", "source"}
VOLATILE = [
    (re.compile(r"[?&]v=[0-9a-f]{12}"), "?v=<hash>"),
    (re.compile(r"#t=\d+(\.\d+)?"), "#t=<s>"),
    (re.compile(r"clips/(\d{3})-[0-9a-f]{10}\.mp3"), r"clips/\1-<hash>.mp3"),
    (re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\b"), "<m:ss>"),
    (re.compile(r"Studio \d+\.\d+\.\d+\S*"), "Studio <version>"),
]


def scrub(text: str) -> str:
    for pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return text


def manifest_outline(m: object) -> object:
    if isinstance(m, dict):
        return {k: (f"<{type(v).__name__}>" if k in MEASURED else manifest_outline(v)) for k, v in m.items()}
    if isinstance(m, list):
        return [manifest_outline(v) for v in m]
    return scrub(m) if isinstance(m, str) else m


def xml_outline(path: Path) -> str:
    lines: list[str] = []

    def walk(el, depth: int) -> None:
        tag = el.tag if isinstance(el.tag, str) else "<!-- -->"
        name = re.sub(r"\{([^}]+)\}", lambda m: _PREFIX.get(m.group(1), m.group(1)) + ":", tag)
        attrs = " ".join(f'{re.sub(r"{[^}]+}", "", k)}="{scrub(v)}"' for k, v in sorted(el.attrib.items())
                         if k not in ("length",))
        text = " ".join((el.text or "").split())
        if name in ("lastBuildDate", "itunes:duration"):
            text = f"<{name}>"
        lines.append("  " * depth + name + (f" [{attrs}]" if attrs else "") + (f": {scrub(text)}" if text else ""))
        for child in el:
            if isinstance(child.tag, str):
                walk(child, depth + 1)

    walk(lxml.etree.parse(str(path)).getroot(), 0)
    return "\n".join(lines) + "\n"


_PREFIX = {"http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes", "https://podcastindex.org/namespace/1.0": "podcast",
           "http://podlove.org/simple-chapters": "psc", "http://www.w3.org/2005/Atom": "atom",
           "http://purl.org/rss/1.0/modules/content/": "content"}


def email_outline(ep_dir: Path) -> str:
    msg = email.message_from_bytes((ep_dir / "email.eml").read_bytes(), policy=email.policy.default)
    out = ["# headers"]
    for key in ("From", "To", "Subject", "Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id",
                "Content-Type"):
        if key in msg:
            value = re.sub(r"boundary=\S+", "boundary=<b>", str(msg[key]))
            out.append(f"{key}: {value}")
    out.append("# parts: " + ", ".join(p.get_content_type() for p in msg.walk() if not p.is_multipart()))
    doc = lxml.html.fromstring((ep_dir / "email.html").read_bytes())
    for bad in doc.xpath("//style|//script|//head"):
        bad.drop_tree()
    out.append("# visible text")
    for line in doc.text_content().splitlines():
        if line.strip():
            out.append(scrub(" ".join(line.split())))
    out.append("# links")
    out += [f"{' '.join(a.text_content().split())} -> {scrub(a.get('href', ''))}" for a in doc.iter("a")]
    out.append("# images")
    out += [f"{scrub(img.get('src', ''))} alt={img.get('alt')!r} {img.get('width')}x{img.get('height')}"
            for img in doc.iter("img")]
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def built(examples_built: Path) -> Path:
    return examples_built / "public"  # every example built cold (tests/conftest.py), read only here


def outputs(public: Path) -> dict[str, str]:
    files = {"feed.txt": xml_outline(public / "feed.xml")}
    for ep_dir in sorted((public / "episodes").iterdir()):
        manifest = json.loads((ep_dir / "manifest.json").read_text("utf-8"))
        slug = ep_dir.name
        files[f"{slug}/manifest.json"] = json.dumps(manifest_outline(manifest), ensure_ascii=False, indent=1) + "\n"
        files[f"{slug}/email.txt"] = scrub((ep_dir / "email.txt").read_text("utf-8"))
        files[f"{slug}/email-outline.txt"] = email_outline(ep_dir)
    return files


def test_both_examples_build_what_the_golden_files_say(built: Path) -> None:
    got = outputs(built)
    if UPDATE:
        for name, text in got.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, "utf-8")
    stored = {str(p.relative_to(GOLDEN)): p.read_text("utf-8") for p in GOLDEN.rglob("*") if p.is_file()}
    assert sorted(got) == sorted(stored), "the set of golden files changed (STUDIO_UPDATE_GOLDEN=1 to accept)"
    diffs = []
    for name in sorted(got):
        if got[name] != stored[name]:
            diffs += difflib.unified_diff(stored[name].splitlines(), got[name].splitlines(), f"golden/{name}",
                                          f"built/{name}", lineterm="", n=2)
    assert not diffs, "built output differs from tests/fixtures/golden (STUDIO_UPDATE_GOLDEN=1 to accept):\n" + \
        "\n".join(diffs[:200])
