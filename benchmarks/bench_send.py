"""`studio send` at scale, against aiosmtpd stand-ins on 127.0.0.1 that behave like remote servers
(devtools/smtp_standin.py, run as separate processes so they do not share the sender's interpreter).

  20 ms server:  N subscribers, a server that takes 20 ms per message (two worker processes, as an MTA
                 has), `studio send` with 16 connections: messages/s against the ideal (16 connections /
                 20 ms = 800 messages/s), and peak RSS.
  throttling:    3,000 subscribers, a server that allows 4 connections (421 beyond) and 150 messages/s
                 (451 4.7.1 beyond): time of one `studio send` (smtp.connections = 8, rate ceiling 1000)
                 against the ideal, 3,000 / 150 s.
  100k + kill:   100,000 subscribers: `studio send` killed with SIGKILL halfway, then run again: peak RSS
                 against the 20 ms row's (memory must not grow with the list), recipients missed and
                 recipients sent twice against the messages in flight at the kill.
Run: python -m benchmarks send [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import row, studio_cmd, without  # noqa: E402
from studio.ingest import read_episode  # noqa: E402
from devtools.showkit import free_port  # noqa: E402

EPISODE = "episodes/2024-03-27-ai-newsletter.md"
SECRET = "bench-secret"
WIDTH = 16  # connections to the 20 ms server: 300 messages/s need 6 busy all the time, and round trips cost too


class Server:
    """devtools/smtp_standin.py in its own processes."""

    def __init__(self, root: Path, name: str, *args: str):
        self.port, self.record = free_port(), root / f"{name}.record"
        self.proc = subprocess.Popen([sys.executable, "-m", "devtools.smtp_standin", "--port", str(self.port),
                                      "--record", str(self.record), *args], cwd=REPO)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.recv(100)
                break
            except OSError:
                time.sleep(0.1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(60)

    def stop(self) -> tuple[list[tuple[str, str]], dict[str, int]]:
        """(recipient, Message-ID) of every accepted message, and the server's counters."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        accepted, counters = [], Counter()
        for path in sorted(self.record.parent.glob(self.record.name + ".*")):
            for line in path.read_text("utf-8").splitlines():
                a, b = line.split("\t")
                if a.startswith("#"):
                    counters[a[1:]] += int(b)
                else:
                    accepted.append((a, b))
        return accepted, dict(counters)


BUILD_CACHE = Path(tempfile.gettempdir()) / "studio-bench-send-cache"  # clips and encoded pieces, shared by the shows


def make_show(root: Path, port: int, extra: str = "", rate: int = 1000) -> None:
    """The repository's show with a local [smtp] server, and EPISODE really built (espeak; `studio send`
    mails only a build of the script's current text)."""
    for name in ("show.toml",):
        shutil.copy(REPO / name, root / name)
    for name in ("templates", "episodes", "assets"):
        shutil.copytree(REPO / name, root / name, dirs_exist_ok=True)
    settings = (root / "show.toml").read_text("utf-8")
    (root / "show.toml").write_text(
        f'{settings}\n[speech]\ncache_dir = "{BUILD_CACHE}"\n'
        '\n[email]\nfrom_address = "news@studio.example.org"\nunsubscribe_url = "https://studio.example.org/u"\n'
        f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrate = {rate}\n{extra}\n', "utf-8")
    proc = subprocess.run(studio_cmd("build", EPISODE, "--engine", "espeak", "--quiet"), cwd=root, env=env(),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"building {EPISODE} failed: {proc.stderr.strip()}")


@contextmanager
def served_show(name: str, *server_args: str, extra: str) -> Iterator[tuple[Path, Server]]:
    """A temporary show built for sending and its SMTP stand-in; both gone afterwards, also when a row fails
    (a server left running would hold the benchmark's output open)."""
    root, server = Path(tempfile.mkdtemp(prefix="studio-bench-send-")), None
    try:
        server = Server(root, name, *server_args)
        make_show(root, server.port, extra)
        yield root, server
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(root, ignore_errors=True)


def import_list(root: Path, n: int, prefix: str) -> list[str]:
    people = [f"{prefix}{i}@example{i % 97}.com" for i in range(n)]
    (root / "list.csv").write_text("email,name\n" + "".join(f"{p},读者 {i}\n" for i, p in enumerate(people)), "utf-8")
    subprocess.run(studio_cmd("subscribers", "import", "list.csv", "--json"), cwd=root, check=True,
                   stdout=subprocess.DEVNULL, env=env())
    return people


def env() -> dict[str, str]:
    return {**os.environ, "STUDIO_UNSUBSCRIBE_SECRET": SECRET, "STUDIO_EDGE_WSS_URL": "ws://127.0.0.1:9/x"}


def send_cmd(*extra: str) -> list[str]:
    return studio_cmd("send", read_episode(REPO / EPISODE).slug, "--json", *extra)


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, int, float, str]:
    """Wall time, peak RSS (KiB), CPU seconds and stdout of one command."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed")
        out.seek(0)
        return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, out.read().decode()


def exactly_once(accepted: list[tuple[str, str]], people: list[str]) -> tuple[int, int]:
    got = Counter(r for r, _ in accepted)
    return sum(1 for p in people if p not in got), sum(1 for c in got.values() if c > 1)


def bench_fast(n: int) -> tuple[list[dict], float]:
    with served_show("fast", "--delay", "0.02", "--workers", "2", extra=f"connections = {WIDTH}") as (root, server):
        people = import_list(root, n, "fast")
        wall, rss_kib, cpu, out = run_measured(send_cmd(), root)
        report = json.loads(out)
        accepted, _ = server.stop()
    rate = report["sent"] / report["duration_s"]
    missed, twice = exactly_once(accepted, people)
    mb = rss_kib / 1024
    ok = report["sent"] == n and missed == 0 and twice == 0
    return [
        row(f"send {n:,} via {WIDTH} connections, 20 ms server: messages/s", round(rate, 1), WIDTH / 0.020,
            ">= 300 messages/s, each address once", rate >= 300 and ok,
            f"ideal = {WIDTH} connections / 20 ms; {report['duration_s']:.1f} s of sending, {wall:.1f} s wall "
            f"(with start-up and rendering); the sender used {1000 * cpu / n:.2f} ms of CPU a message; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; missed {missed}, twice {twice}"),
        row(f"send {n:,}: peak RSS MB", round(mb, 1), 300.0, "<= 300 MB", mb <= 300 and ok,
            "MiB, the studio process; baseline = the target"),
    ], mb


def bench_throttled(n: int) -> list[dict]:
    limit = 150
    throttling = ("--delay", "0.02", "--max-connections", "4", "--max-rate", str(limit))
    with served_show("throttle", *throttling, extra="connections = 8") as (root, server):
        people = import_list(root, n, "thr")
        proc = subprocess.run(send_cmd(), cwd=root, env=env(), stdout=subprocess.PIPE, text=True)
        report = json.loads(proc.stdout)
        accepted, counters = server.stop()
    missed, twice = exactly_once(accepted, people)
    ideal = n / limit
    took = report["duration_s"]
    ok = proc.returncode == 0 and missed == 0 and twice == 0
    return [row(f"throttling server (4 conns/421, {limit}/s/451 4.7.1): {n:,} in one run, s", round(took, 2),
                round(ideal, 2), "<= 3x ideal, one run, each address once", ok and took <= 3 * ideal,
                f"ideal = {n:,} / {limit} per s; exit {proc.returncode}; {counters.get('refused_connections', 0)} "
                f"connections refused, {counters.get('refused_rate', 0)} messages throttled and retried; pool "
                f"{report['connections']} connections, pace settled at {report['settled_rate']}/s after "
                f"{report['backoffs']} back-offs; missed {missed}, twice {twice}")]


def bench_kill(n: int, rss_small: float) -> list[dict]:
    with served_show("kill", "--delay", "0.02", "--workers", "2", extra=f"connections = {WIDTH}") as (root, server):
        people = import_list(root, n, "big")
        log = root / ".studio-sendlog.sqlite"
        proc = subprocess.Popen(send_cmd(), cwd=root, env=env(), stdout=subprocess.DEVNULL)
        half = n // 2
        while proc.poll() is None:
            time.sleep(0.2)
            if log.exists():
                db = sqlite3.connect(log)
                try:
                    sent = db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'accepted'").fetchone()[0]
                except sqlite3.OperationalError:
                    sent = 0
                db.close()
                if sent >= half:
                    break
        os.kill(proc.pid, signal.SIGKILL)
        _, status, usage = os.wait4(proc.pid, 0)
        rss_first = usage.ru_maxrss / 1024
        db = sqlite3.connect(log)
        in_flight = db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sending'").fetchone()[0]
        db.close()
        wall, rss_kib, cpu, out = run_measured(send_cmd(), root)
        report = json.loads(out)
        accepted, _ = server.stop()
    missed, twice = exactly_once(accepted, people)
    ids: dict[str, set] = {}
    for r, m in accepted:
        ids.setdefault(r, set()).add(m)
    other_copy = sum(1 for v in ids.values() if len(v) > 1)  # a second copy that is a different message
    mb = max(rss_first, rss_kib / 1024)
    return [
        row(f"send {n:,}: peak RSS MB (killed run, rerun)", round(mb, 1), round(rss_small, 1), "<= 300 MB",
            mb <= 300, "MiB; baseline = the 20 ms row's list: memory does not grow with the list"),
        row(f"send {n:,}: kill -9 halfway, rerun: recipients sent twice", twice, in_flight,
            "0 missed, 0 twice", missed == 0 and twice == 0 and other_copy == 0,
            f"baseline = messages in flight at the kill (the most that could be sent twice); missed {missed}; "
            f"rerun: sent {report['sent']}, already {report['already']}, resent unconfirmed "
            f"{report['resent_unconfirmed']}; second copies with another Message-ID {other_copy}"),
    ]


def run(quick: bool = False) -> list[dict]:
    if without("aiosmtpd"):
        return []
    fast_rows, rss = bench_fast(2_000 if quick else 20_000)
    return fast_rows + bench_throttled(500 if quick else 3_000) + bench_kill(4_000 if quick else 100_000, rss)


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(json.dumps(r, ensure_ascii=False))
