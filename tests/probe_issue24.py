"""Rerun the probe of issue 24 by hand: each finding's reproduction, with real servers on loopback and the
real CLI, printing what happened and whether it holds.

    .venv/bin/python -m tests.probe_issue24            # every finding
    .venv/bin/python -m tests.probe_issue24 1 6 17     # some (numbers; "disk", "s3", "bidi" for the smaller ones)

Nothing leaves 127.0.0.1; everything is written under a temp dir.
"""

from __future__ import annotations

import json
import mailbox
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from tests.conftest import REPO, bare_env, make_show
from tests.net_support import Dribbler, Flood, Recorder, Redirector

KEY = "probe-secret-key-0123456789abcdef"
SECRET = "test-secret-不要用"
TMP = Path(tempfile.mkdtemp(prefix="probe24-"))
RESULTS: list[tuple[str, bool]] = []


def run_studio(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 120):
    """The real CLI; a run that hangs is killed after `timeout` s and reported as such (exit -9)."""
    try:
        return subprocess.run([sys.executable, "-m", "studio", *args], cwd=cwd, env=env or bare_env(),
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, -9, "", f"(still running after {timeout:g} s: killed)")


def say(finding: str, ok: bool, what: str) -> None:
    RESULTS.append((finding, ok))
    print(f"[{'holds' if ok else 'FAILS'}] finding {finding}: {what}", flush=True)


def show(name: str, extra: str = "") -> Path:
    root = TMP / name
    root.mkdir()
    make_show(root)
    (root / "show.toml").write_text((root / "show.toml").read_text("utf-8") + extra, "utf-8")
    return root


SCRIPT = "+++\ntitle = '测试'\ndate = 2026-03-01\nslug = '{slug}'\n+++\n\n## 一\n\n这是第一条新闻。\n\n## 二\n\n{body}\n"


def small_show(name: str, extra: str = "") -> Path:
    root = show(name, extra)
    for p in (root / "episodes").iterdir():
        p.unlink()
    (root / "episodes" / "a.md").write_text(SCRIPT.format(slug="a", body="这是第二条新闻。"), "utf-8")
    return root


def azure_speech(url: str) -> str:
    return f'\n[speech]\nretries = 1\nretry_backoff = 0.01\n[speech.azure]\nendpoint = "{url}"\n'


def p1() -> None:
    with Recorder() as other, Redirector(target=other.url) as hop:
        root = small_show("p1", azure_speech(hop.url))
        env = dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=KEY)
        build = run_studio(["build", "episodes/a.md", "--engine", "azure"], cwd=root, env=env)
        voices = run_studio(["voices", "--engine", "azure"], cwd=root, env=env)
    leaked = other.saw(KEY)
    error = [x for x in build.stderr.splitlines() if x.startswith("error:")]
    say("1", not leaked and build.returncode == 1 and voices.returncode == 1,
        f"other origin received the key: {leaked}; build exit {build.returncode}: {error[-1] if error else ''!r}; "
        f"voices exit {voices.returncode}: {voices.stderr.strip()[-120:]!r}")
    with Recorder(status=200, content_type="text/plain", body=b"hello") as plain:
        root = small_show("p1b", azure_speech(plain.url))
        build = run_studio(["build", "episodes/a.md", "--engine", "azure"], cwd=root, env=env)
    error = [x for x in build.stderr.splitlines() if x.startswith("error:")]
    say("1", build.returncode == 1 and bool(error) and "not audio" in error[-1],
        f"200 text/plain from the endpoint: exit {build.returncode}: {error[-1][-160:] if error else build.stderr[-200:]!r}")


def _items_with_assist(root: Path, base_url: str, env: dict, timeout: int = 5):
    (root / "show.toml").write_text((root / "show.toml").read_text("utf-8") + (
        f'\n[assist]\nenabled = true\nbase_url = "{base_url}"\nmodel = "m"\ntimeout = {timeout}\n'
        'api_key_env = "PROBE_ASSIST_KEY"\n'), "utf-8")
    text = "大家好，这里是测试周报。Runway完成融资。公司计划扩大团队。北京发布措施。感谢收听。"
    (root / "episodes" / "t.txt").write_text(text + "\n", "utf-8")
    t0 = time.monotonic()
    proc = run_studio(["items", "episodes/t.txt", "--json"], cwd=root, env=dict(env, PROBE_ASSIST_KEY=KEY), timeout=60)
    return proc, time.monotonic() - t0


def p2() -> None:
    with Recorder(content_type="application/json", body=b"{}") as other, Redirector(target=other.url) as hop:
        proc, _ = _items_with_assist(small_show("p2"), hop.url + "/v1", bare_env())
    warning = [x for x in proc.stderr.splitlines() if "assist" in x]
    say("2", not other.saw(KEY) and proc.returncode == 0,
        f"other origin received the key: {other.saw(KEY)}; `studio items`: {warning[-1] if warning else ''!r}")


def p3() -> None:
    with Dribbler(every=2.0) as slow:
        proc, seconds = _items_with_assist(small_show("p3"), slow.url + "/v1", bare_env(), timeout=5)
    base = small_show("p3-base")  # the same script without [assist]: what the built-in segmenter itself takes
    (base / "episodes" / "t.txt").write_text((TMP / "p3" / "episodes" / "t.txt").read_text("utf-8"), "utf-8")
    t0 = time.monotonic()
    run_studio(["items", "episodes/t.txt", "--json"], cwd=base)
    alone = time.monotonic() - t0
    warning = [x for x in proc.stderr.splitlines() if "assist" in x]
    say("3", proc.returncode == 0 and seconds - alone < 5 + 3,
        f"one byte every 2 s, timeout = 5: `studio items` took {seconds:.1f} s ({alone:.1f} s without [assist]), "
        f"exit {proc.returncode}, {warning[-1] if warning else ''!r}")


def p4() -> None:
    from studio.core.config import AssistConfig
    from studio.ingest.assist import use_assist
    from studio.ingest.transcript import transcript_items

    text = "大家好，这里是测试周报。Runway完成融资。公司计划扩大团队。北京发布措施。感谢收听。"
    for what, content in [("lone surrogate", '{"items": [{"sentences": [0, 1, 2, 3, 4], "title": "\\ud800"}]}'),
                          ("nested JSON", "[" * 100_000 + "]" * 100_000)]:
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        with Recorder(content_type="application/json", body=body) as server:
            warnings: list[str] = []
            config = AssistConfig(enabled=True, base_url=server.url + "/v1", model="m", timeout=5)
            try:
                with use_assist(config, TMP / "p4-cache", warnings.append):
                    items = transcript_items(text)
                say("4", len(warnings) == 1, f"{what}: {len(items)} items from the built-in segmenter, {warnings}")
            except Exception as e:  # noqa: BLE001 - what the probe found
                say("4", False, f"{what}: {type(e).__name__}: {e}")


def p5() -> None:
    with Recorder(status=503, reason=f"Busy {KEY}") as server:
        root = small_show("p5", azure_speech(server.url))
        proc = run_studio(["build", "episodes/a.md", "--engine", "azure"], cwd=root,
                          env=dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=KEY))
    error = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    say("5", KEY not in proc.stderr + proc.stdout, f"503 with the key in its reason phrase: {error[-1] if error else ''!r}")


def p6() -> None:
    with Flood(total=100 << 20) as server:
        root = small_show("p6", azure_speech(server.url))
        t0 = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = run_studio(["build", "episodes/a.md", "--engine", "azure"], cwd=root,
                          env=dict(bare_env(), STUDIO_AZURE_SPEECH_KEY=KEY))
        seconds = time.monotonic() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    error = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    say("6", proc.returncode == 1 and seconds < 10 and server.sent < 20e6,
        f"100 MB of 'audio' for two short items: {seconds:.1f} s, {server.sent / 1e6:.0f} MB sent before the client hung up, "
        f"peak RSS of the children so far {max(peak, before) / 1024:.0f} MB; {error[-1][-150:] if error else ''!r}")


def p7() -> None:
    root = small_show("p7")
    outside = TMP / "p7-outside.md"
    outside.write_text(SCRIPT.format(slug="leak", body="OUTSIDE-SECRET。"), "utf-8")
    os.symlink(outside, root / "episodes" / "leak.md")
    proc = run_studio(["build", "--engine", "espeak"], cwd=root)
    leaked = any(b"OUTSIDE-SECRET" in p.read_bytes() for p in (root / "public").rglob("*") if p.is_file())
    check = run_studio(["check"], cwd=root)
    say("7", not leaked, f"build-all with episodes/leak.md -> {outside}: secret in public/: {leaked}; "
        f"{[x for x in proc.stderr.splitlines() if 'leak' in x]}; check: "
        f"{[x.strip() for x in check.stdout.splitlines() if 'leak' in x]}")


def p8() -> None:
    from tests.host_loop_support import get, status_of, wait_for, watch_server

    root = small_show("p8")
    (TMP / "p8-secret.html").write_text("<html><body>OUTSIDE-SECRET</body></html>", "utf-8")
    with watch_server(root, TMP / "p8-stderr.txt") as (port, _, _):
        wait_for(lambda: status_of(port)["episodes"].get("episodes/a.md", {}).get("status") == "built")
        os.symlink(TMP / "p8-secret.html", root / ".studio-preview" / "leak.html")
        status, body = get(port, "/leak.html")
    say("8", "OUTSIDE-SECRET" not in body, f"serve --watch, /leak.html -> a file outside: HTTP {status}")


class _List:
    def __init__(self, name: str, handler=None, extra: str = ""):
        from aiosmtpd.controller import Controller

        from tests.test_email_send import Recorder as Smtp
        from tests.test_email_send import free_port
        from tests.test_subscribers_web import Listen

        root = TMP / "list"
        if not root.exists():
            root.mkdir()
            make_show(root)
            with open(root / "show.toml", "a", encoding="utf-8") as f:
                f.write('\n[email]\nfrom_address = "news@studio.example.org"\n')
        self.smtp = handler or Smtp()
        port = free_port()
        self.controller = Controller(self.smtp, hostname="127.0.0.1", port=port)
        self.controller.start()
        self.app = Listen(root, name, port, extra)

    def row(self, address: str) -> dict | None:
        proc = self.app.studio("subscribers", "list", "--json")
        return next((r for r in map(json.loads, proc.stdout.splitlines()) if r["email"] == address), None)

    def close(self) -> str:
        err = self.app.stop()
        self.controller.stop()
        return err


def _link(smtp, address: str) -> str:
    import email
    from email import policy

    raw = [m for rcpts, m in smtp.messages if address in rcpts][-1]
    text = email.message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return re.findall(r"http://127\.0\.0\.1:\d+/confirm\?t=\S+", text)[0]


def _wait(cond, seconds: float = 20) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


def p9_11_12_13() -> None:
    from tests.test_subscribers_web import http, subscribe

    lst = _List("p9")
    try:
        subscribe(lst.app.url, "scanned@example.com")
        _wait(lambda: lst.smtp.received()["scanned@example.com"])
        status, _, _ = http("GET", _link(lst.smtp, "scanned@example.com"))
        after = lst.row("scanned@example.com")["status"]
        say("9", after == "pending", f"GET of the confirmation link (a scanner): HTTP {status}, status now {after}")

        lst.app.studio("subscribers", "add", "ann@example.com", "--name", "Ann")
        lst.app.studio("subscribers", "remove", "ann@example.com")
        before = lst.row("ann@example.com")
        subscribe(lst.app.url, "ann@example.com", name="Mallory")
        time.sleep(0.5)
        after = lst.row("ann@example.com")
        say("11", after == before, f"a stranger posts ann@ (unsubscribed) as 'Mallory': status {after['status']}, "
            f"name {after['name']!r}, consent_ip {after['consent_ip']!r}")

        body = urllib.parse.urlencode({"email": "c@example.com"}).encode()
        answers = [http("POST", lst.app.url + "subscribe", body,
                        {"Content-Type": "application/x-www-form-urlencoded; charset=x-no-such"})[0] for _ in range(5)]
        err = lst.close()
        say("13", answers[:3] == [400] * 3 and "Traceback" not in err,
            f"5 posts in an unknown charset (rate_per_ip = 5, 2 posts before): {answers}; tracebacks: {err.count('Traceback')}")
    finally:
        if lst.app.proc.poll() is None:
            lst.close()

    from tests.test_email_send import Recorder as Smtp

    smtp = Smtp(greylist={"g@example.com"})
    lst = _List("p12", smtp, "rate_per_ip = 100")
    try:
        subscribe(lst.app.url, "g@example.com")
        _wait(lambda: "g@example.com" not in smtp.greylist)
        time.sleep(0.5)
        subscribe(lst.app.url, "g@example.com")
        got = _wait(lambda: smtp.received()["g@example.com"] == 1, 5)
        say("12", got, f"the first confirmation mail refused (451), the reader asks again: a mail arrived: {got}")
    finally:
        lst.close()


def p10() -> None:
    root = show("p10")
    env = dict(bare_env(), STUDIO_UNSUBSCRIBE_SECRET=SECRET)
    run_studio(["subscribers", "add", "dave@example.net"], cwd=root, env=env)
    box = mailbox.mbox(TMP / "p10.mbox")
    box.add((REPO / "tests" / "fixtures" / "bounces" / "arf-rcpt-to.eml").read_bytes())
    box.flush()
    run_studio(["subscribers", "bounces", str(TMP / "p10.mbox")], cwd=root, env=env)
    status = json.loads(run_studio(["subscribers", "list", "--json"], cwd=root, env=env).stdout)["status"]
    add = run_studio(["subscribers", "add", "dave@example.net"], cwd=root, env=env)
    restore = run_studio(["subscribers", "restore", "dave@example.net"], cwd=root, env=env)
    say("10", status == "held" and restore.returncode == 0,
        f"a complaint anyone could forge (no token): dave -> {status}; add says {add.stderr.strip()!r}; "
        f"restore: {restore.stdout.strip() or restore.stderr.strip()!r}")


def p14() -> None:
    from studio.subscribers.listfile import normalize_address

    got = {a: normalize_address(a) for a in ("a@straße.de", "b@ςa.gr")}
    say("14", got["a@straße.de"] == "a@xn--strae-oqa.de" and got["b@ςa.gr"] == "b@xn--a-xmb.gr", f"{got}")


def p15() -> None:
    root = show("p15")
    people = [("-2+3@example.org", "-Ann"), ("=eq@example.org", "=SUM(A1)"), ("+p@example.org", "@x")]
    for address, name in people:
        run_studio(["subscribers", "add", f"--name={name}", "--", address], cwd=root)
    run_studio(["subscribers", "export", "--out", str(TMP / "p15.csv")], cwd=root)
    other = show("p15b")
    run_studio(["subscribers", "import", str(TMP / "p15.csv")], cwd=other)
    rows = [json.loads(x) for x in run_studio(["subscribers", "list", "--json"], cwd=other).stdout.splitlines()]
    got = sorted((r["email"], r["name"]) for r in rows)
    say("15", got == sorted(people), f"export -> import: {got}")


def p16() -> None:
    from tests.feed_helpers import add_episode, rebuild

    root = show("p16")
    add_episode(root / "public", 1)
    rebuild(root)
    target = TMP / "p16-www"
    run_studio(["publish", "--to", str(target)], cwd=root)
    (target / ".studio-publish.json").write_text("[" * 200_000 + "]" * 200_000, "utf-8")
    proc = run_studio(["publish", "--to", str(target)], cwd=root)
    say("16", proc.returncode == 0 and "Traceback" not in proc.stderr,
        f"nested .studio-publish.json: exit {proc.returncode}, stderr {proc.stderr.strip()[-200:]!r}")


def p17() -> None:
    root = show("p17")
    fifo = TMP / "p17.fifo"
    os.mkfifo(fifo)
    maildir = TMP / "p17-Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    os.mkfifo(maildir / "new" / "1.fifo")
    os.symlink("/dev/zero", maildir / "new" / "2.zero")
    with open(maildir / "new" / "3.huge", "wb") as f:
        f.truncate(2 << 30)  # 2 GB, sparse

    def cap() -> None:  # a reader that loads /dev/zero or 2 GB whole fails here, not the machine
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))

    for path in ("/dev/zero", str(fifo), str(maildir)):
        t0 = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-m", "studio", "subscribers", "bounces", path], cwd=root,
                                  env=bare_env(), capture_output=True, text=True, timeout=30, preexec_fn=cap)
            what = f"exit {proc.returncode} in {time.monotonic() - t0:.1f} s: {proc.stderr.strip()[-150:] or proc.stdout.strip()[-200:]!r}"
            ok = "Traceback" not in proc.stderr and (proc.returncode == 1 or "3 skipped" in proc.stdout)
        except subprocess.TimeoutExpired:
            what, ok = "still running after 30 s (killed)", False
        say("17", ok, f"`studio subscribers bounces {path}`: {what}")


def p18() -> None:
    import email
    from email import policy

    from studio.core.config import load_show
    from studio.email.message import build_message, to_address

    root = show("p18")
    msg = build_message(load_show(root / "show.toml"), subject="s", text="t", html="<p>h</p>",
                        to=to_address("ann@example.org", "=?utf-8?q?evil=40attacker=2Eexample?="), msg_id="<x@y>",
                        date=__import__("datetime").datetime.now(__import__("datetime").timezone.utc),
                        unsubscribe_https=None, unsubscribe_mailto=None)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    addresses = [a.addr_spec for a in parsed["To"].addresses]
    say("18", addresses == ["ann@example.org"], f"To as a mail client parses it: {addresses}")


def pdisk() -> None:
    from tests.test_crash_drills import build_cmd, write_episode

    root = show("pdisk")
    write_episode(root, 1)
    script = root / "episodes" / "drill-1.md"
    subprocess.run(build_cmd(script), cwd=root, env=bare_env(), check=True, capture_output=True)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, 256 << 10))

    proc = subprocess.run(build_cmd(script, "--out", "fresh"), cwd=root, env=bare_env(), capture_output=True,
                          text=True, preexec_fn=limit)
    line = proc.stderr.strip()
    say("disk", line.startswith("error: fresh:") and "Traceback" not in line,
        f"writes past 256 KiB fail (as on a full disk): {line!r}")


def ps3() -> None:
    import logging

    from tests.feed_helpers import add_episode, rebuild
    from tests.s3_helpers import BUCKET, S3Server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    s3 = S3Server()
    try:
        s3.reset_bucket()
        root = show("ps3")
        add_episode(root / "public", 1)
        rebuild(root)
        c = s3.client()
        up = c.create_multipart_upload(Bucket=BUCKET, Key="pod/episodes/ep-001/episode.mp3")
        c.upload_part(Bucket=BUCKET, Key="pod/episodes/ep-001/episode.mp3", UploadId=up["UploadId"], PartNumber=1,
                      Body=b"x" * (5 << 20))
        proc = run_studio(["publish", "--to", f"s3://{BUCKET}/pod"], cwd=root, env=s3.env(root))
        left = c.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        say("s3", proc.returncode == 0 and not left,
            f"an unfinished multipart upload under the prefix, then a publish: {len(left)} left; "
            f"{[x for x in proc.stderr.splitlines() if 'multipart' in x]}")
    finally:
        s3.stop()


def pbidi() -> None:
    root = show("pbidi")
    (root / "episodes" / "b.md").write_text(
        "+++\ntitle = 'Weekly \u202etxt.exe'\ndate = 2026-03-01\nslug = 'b'\n+++\n\n## A\n\n这是新闻。\n", "utf-8")
    run_studio(["build", "episodes/b.md", "--engine", "espeak", "--quiet"], cwd=root)
    title = json.loads((root / "public" / "episodes" / "b" / "manifest.json").read_text("utf-8"))["title"]
    say("bidi", "\u202e" not in title, f"title 'Weekly <RLO>txt.exe' in the manifest: {title!r}")


PROBES = {"1": p1, "2": p2, "3": p3, "4": p4, "5": p5, "6": p6, "7": p7, "8": p8, "9": p9_11_12_13,
          "10": p10, "14": p14, "15": p15, "16": p16, "17": p17, "18": p18, "disk": pdisk, "s3": ps3, "bidi": pbidi}
ALIASES = {"11": "9", "12": "9", "13": "9"}


def main(argv: list[str]) -> int:
    wanted = list(dict.fromkeys(ALIASES.get(a, a) for a in argv)) or list(PROBES)
    for name in wanted:
        try:
            PROBES[name]()
        except Exception as e:  # noqa: BLE001 - a probe that crashes is a finding that fails
            say(name, False, f"the probe crashed: {type(e).__name__}: {str(e)[:300]}")
    failing = [f for f, ok in RESULTS if not ok]
    print(f"{len(RESULTS) - len(failing)} of {len(RESULTS)} checks hold" + (f"; failing: {failing}" if failing else ""))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
