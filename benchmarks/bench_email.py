"""Email benchmarks: rendering the biggest seed, and sending through a loopback SMTP server.

  render: render_email() (templates + css-inline + size budget) on each seed,
          against a bare jinja2 render of the same templates (no inlining).
  send:   send_episode() to N recipients (per-recipient personalising, two
          fsync'd send-log commits each), against a bare smtplib loop sending
          one prebuilt message to the same N on one connection.
Run: python -m benchmarks.bench_email [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _seeds() -> list[Path]:
    from devtools.showkit import find_seeds

    seeds = find_seeds()
    return sorted(seeds.iterdir()) if seeds else []


def _show(root: Path, port: int = 0):
    from studio.core.config import load_show

    for name in ("show.toml",):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('\n[email]\nfrom_address = "news@studio.example.org"\nunsubscribe_url = "https://studio.example.org/u"\n'
                f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrate = 100000\n')
    return load_show(root / "show.toml")


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_render(quick: bool) -> list[dict]:
    from studio.email.context import draft_context
    from studio.email.render import render_email, template_context
    from studio.ingest import read_episode
    from studio.present.templating import environment

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        show = _show(Path(tmp))
        seeds = _seeds()
        for seed in seeds[2:3] if quick else seeds:
            ctx = draft_context(show, read_episode(seed))
            env = environment(show)
            env.filters["wrap"] = lambda s, *a: s

            def bare():
                env.get_template("email.html.j2").render(**template_context(show, ctx))

            studio = _best(lambda: render_email(show, ctx), 3)
            base = _best(bare, 3)
            parts = render_email(show, ctx)
            kb = len(parts.html.encode()) / 1000
            rows.append({
                "case": f"render email {seed.name[:3]} ({len(ctx['items'])} items, {kb:.0f} KB)",
                "studio": round(studio, 4), "baseline": round(base, 4), "ratio": round(studio / base, 2),
                "target": "studio < 0.5 s", "ok": studio < 0.5,
                "note": "seconds; baseline = jinja2 render without css-inline or size budget"
                        + ("; shortened to fit" if parts.shortened else ""),
            })
    return rows


def bench_send(quick: bool) -> list[dict]:
    from aiosmtpd.controller import Controller

    from benchmarks.bench_send import EPISODE, SECRET, make_show
    from studio.core.config import load_show
    from studio.email.context import draft_manifest
    from studio.ingest import read_episode
    from studio.send.run import send_episode

    n = 50 if quick else 300

    class Sink:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(Sink(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_show(root, port, rate=100_000)  # the episode really built: send mails only a current build
            show = load_show(root / "show.toml")
            episode = read_episode(root / EPISODE)
            (root / "list.csv").write_text("email\n" + "".join(f"r{i}@example.com\n" for i in range(n)), "utf-8")
            os.environ.setdefault("STUDIO_UNSUBSCRIBE_SECRET", SECRET)

            t = time.perf_counter()
            report = send_episode(show, episode.slug, list_path=root / "list.csv")
            studio = time.perf_counter() - t
            assert report.sent == n

            from studio.email.context import email_context
            from studio.email.message import built_eml
            from studio.email.render import render_email

            manifest = draft_manifest(show, episode)
            parts = render_email(show, email_context(show, manifest))
            payload = built_eml(show, manifest, parts.subject, parts.text, parts.html)
            t = time.perf_counter()
            smtp = smtplib.SMTP("127.0.0.1", port)
            for i in range(n):
                smtp.sendmail("news@studio.example.org", [f"r{i}@example.com"], payload)
            smtp.quit()
            base = time.perf_counter() - t
    finally:
        ctl.stop()
    return [{
        "case": f"send to {n} recipients over loopback SMTP",
        "studio": round(studio, 3), "baseline": round(base, 3), "ratio": round(studio / base, 2),
        "target": ">= 25 messages/s (a short list: the pace starts at 10/s)", "ok": n / studio >= 25,
        "note": f"seconds; {n / studio:.0f} messages/s; baseline = bare smtplib loop resending one prebuilt message "
                "(studio builds and encodes a personalised MIME message per recipient and commits the log twice)",
    }]


def run(quick: bool = False) -> list[dict]:
    from benchmarks.common import without

    return bench_render(quick) + ([] if without("aiosmtpd") else bench_send(quick))


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row, ensure_ascii=False))
