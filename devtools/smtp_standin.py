"""An aiosmtpd server that behaves like a remote one: it takes `delay` seconds per message, and can throttle like
a provider (at most `max_connections` at once, 421 beyond; at most `max_rate` messages a second, 451 4.7.1 beyond).
It records, per recipient, the Message-ID of every message it accepted.

In a test: `with StandIn(delay=0.02) as server:` (a thread of this process). In a benchmark, run it as its own
processes so it does not share the sender's interpreter:
    python -m devtools.smtp_standin --port P --record FILE [--delay S] [--max-connections N] [--max-rate R] [--workers W]
(W processes share the port, as an MTA's workers do; the limits need --workers 1). SIGTERM writes the record.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from devtools.showkit import free_port


class Handler:
    def __init__(self, delay: float = 0.0, max_rate: float | None = None, fault=None):
        self.delay, self.max_rate = delay, max_rate
        self.fault = fault  # async (server, n) -> a reply that replaces the n-th message's (1-based), or None
        self.data_commands = 0
        self.accepted: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.refused_rate = 0
        self.sessions = 0
        self.open = 0
        self.peak_open = 0
        self.refused_connections = 0
        self.in_data = 0
        self.peak_in_data = 0
        self.times: list[float] = []  # when each accepted message was accepted
        self._window: collections.deque = collections.deque()

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.fault is not None:
            reply = await self.fault(server, self.data_commands)
            if reply:
                return reply
        if self.max_rate is not None:
            now = time.monotonic()
            while self._window and now - self._window[0] > 1.0:
                self._window.popleft()
            if len(self._window) >= self.max_rate:
                self.refused_rate += 1
                return "451 4.7.1 Message rate exceeded, slow down"
            self._window.append(now)
        self.in_data += 1
        self.peak_in_data = max(self.peak_in_data, self.in_data)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_data -= 1
        content = envelope.original_content or envelope.content
        at = content.find(b"\r\nMessage-ID: ")
        msg_id = content[at + 14:content.find(b"\r\n", at + 14)].decode() if at >= 0 else ""
        for rcpt in envelope.rcpt_tos:
            self.accepted.append((rcpt, msg_id))
        self.times.append(time.monotonic())
        return "250 2.0.0 queued"

    def received(self) -> collections.Counter:
        return collections.Counter(r for r, _ in self.accepted)


class LimitedSMTP(SMTP):
    """Answers 421 and hangs up when `limit` connections are already open. Reads DATA in blocks rather than
    line by line (aiosmtpd's way costs ~3 ms of CPU per 100 KB message on this machine's shared cores; the
    remote server this stands in for spends its own CPU, not the sender's)."""

    def __init__(self, handler: Handler, limit: int | None, **kw):
        super().__init__(handler, **kw)
        self.studio_handler, self.limit, self.refused = handler, limit, False

    def connection_made(self, transport):
        h = self.studio_handler
        if self.limit is not None and h.open >= self.limit:
            self.refused = True
            h.refused_connections += 1
            transport.write(b"421 4.7.0 Too many connections from your host, try again later\r\n")
            transport.close()
            return
        h.open += 1
        h.sessions += 1
        h.peak_open = max(h.peak_open, h.open)
        super().connection_made(transport)

    def connection_lost(self, error):
        if self.refused:
            return
        self.studio_handler.open -= 1
        super().connection_lost(error)

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        buf = bytearray()
        try:
            while not (buf.endswith(b"\r\n.\r\n") or buf == b".\r\n"):
                block = await self._reader.read(1 << 16)
                if not block:
                    return
                buf += block
        except asyncio.CancelledError:
            self._writer.close()
            raise
        data = bytes(buf[:-3])  # without the closing ".\r\n"
        if data.startswith(b".."):
            data = data[1:]
        data = data.replace(b"\r\n..", b"\r\n.")
        self.envelope.content = self.envelope.original_content = data
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)


class _Controller(Controller):
    def __init__(self, handler: Handler, limit: int | None, **kw):
        self.limit = limit
        super().__init__(handler, **kw)

    def factory(self):
        return LimitedSMTP(self.handler, self.limit, **self.SMTP_kwargs)


class StandIn:
    """The server in a thread of this process."""

    def __init__(self, delay: float = 0.0, max_connections: int | None = None, max_rate: float | None = None,
                 fault=None):
        self.handler = Handler(delay, max_rate, fault)
        self.port = free_port()
        self.controller = _Controller(self.handler, max_connections, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "StandIn":
        self.controller.start()  # it connects once to see the server answer: not a client's session
        deadline = time.monotonic() + 5
        while self.handler.open and time.monotonic() < deadline:
            time.sleep(0.01)
        self.handler.sessions = 0
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def _serve(port: int, record: str, delay: float, max_connections: int | None, max_rate: float | None) -> None:
    handler = Handler(delay, max_rate)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(
        lambda: LimitedSMTP(handler, max_connections, hostname="standin"), "127.0.0.1", port, reuse_port=True))
    done = threading.Event()

    def stop(*_):
        if not done.is_set():
            done.set()
            loop.call_soon_threadsafe(loop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        with open(record, "w", encoding="utf-8") as f:
            f.writelines(f"{rcpt}\t{msg_id}\n" for rcpt, msg_id in handler.accepted)
            f.write(f"#refused_rate\t{handler.refused_rate}\n#refused_connections\t{handler.refused_connections}\n"
                    f"#peak_open\t{handler.peak_open}\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--max-connections", type=int)
    ap.add_argument("--max-rate", type=float)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    children = []
    for n in range(1, a.workers):
        pid = os.fork()
        if pid == 0:
            _serve(a.port, f"{a.record}.{n}", a.delay, a.max_connections, a.max_rate)
            os._exit(0)
        children.append(pid)
    try:
        _serve(a.port, f"{a.record}.0", a.delay, a.max_connections, a.max_rate)
    finally:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
