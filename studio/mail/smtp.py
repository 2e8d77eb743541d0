"""SMTP connections for the pool: aiosmtplib connects, secures (STARTTLS or implicit TLS) and logs in;
each connection then carries many messages.

The message itself goes through a cheap DATA path: Studio's messages are already
CRLF-terminated, so dot-stuffing is one bytes.replace. aiosmtplib's data() runs two
regular expressions over every message (2.5 ms of CPU for a 100 KB newsletter, more
than the whole per-message budget at 300 messages a second on two cores).
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from functools import cache, lru_cache

from studio.core.config import Show
from studio.core.lazy import lazy_pattern
from studio.mail.outcome import ACCEPTED, Busy, Dropped, Outcome, TransportError, Unreachable, reply_outcome

_BARE_LF = lazy_pattern(rb"(?<!\r)\n|\r(?!\n)")


@cache
def _smtp():
    import aiosmtplib  # lazy: aiosmtplib loads only when mail is sent

    return aiosmtplib


def _gone() -> tuple[type[BaseException], ...]:
    """What a connection that went away raises."""
    return (_smtp().SMTPServerDisconnected, _smtp().SMTPTimeoutError, ConnectionError, OSError)


@lru_cache(maxsize=1)
def _local_hostname() -> str:
    return socket.getfqdn()


def wire_data(data: bytes) -> bytes:
    """The DATA payload of a message whose lines end in CRLF (as the email package's SMTP policy writes
    them): leading dots doubled, the closing dot line."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def crlf_only(data: bytes) -> bytes:
    """`data` with every line break as CRLF (for a caller that cannot promise it)."""
    crlf = data.count(b"\r\n")
    return data if data.count(b"\n") == crlf and data.count(b"\r") == crlf else _BARE_LF.sub(b"\r\n", data)


class SmtpTransport:
    def __init__(self, show: Show, password: str):
        self.cfg, self.password, self.show_file = show.smtp, password, show.file
        self.port = self.cfg.port or {"starttls": 587, "ssl": 465, "none": 25}[self.cfg.security]
        self.where = f"SMTP server {self.cfg.host}:{self.port}"
        self.tls = ssl.create_default_context() if self.cfg.security != "none" else None

    async def open(self) -> "SmtpConnection":
        """A connected, secured, logged-in connection. Busy on 421, Unreachable when it cannot connect,
        TransportError when connecting can never work (TLS, login, no STARTTLS)."""
        cfg = self.cfg
        smtp = _smtp().SMTP(hostname=cfg.host, port=self.port, timeout=cfg.timeout, use_tls=cfg.security == "ssl",
                               start_tls=False, local_hostname=_local_hostname(), tls_context=self.tls)
        try:
            await smtp.connect()
            await smtp.ehlo()
            if cfg.security == "starttls":
                if not smtp.supports_extension("starttls"):
                    raise TransportError(f"{self.where} does not offer STARTTLS (smtp.security)", self.show_file)
                await smtp.starttls()
                await smtp.ehlo()
            if cfg.user:
                await smtp.login(cfg.user, self.password)
        except _smtp().SMTPAuthenticationError as e:
            smtp.close()
            raise TransportError(f"SMTP login as {cfg.user!r} refused by {self.where}: {e.code} {_one_line(e.message)}",
                                 self.show_file) from None
        except _smtp().SMTPResponseException as e:  # the greeting or EHLO: 421 too many connections, 554 go away
            smtp.close()
            if 400 <= e.code < 500:
                raise Busy(f"{e.code} {_one_line(e.message)}") from None
            raise TransportError(f"{self.where} refuses us: {e.code} {_one_line(e.message)}", self.show_file) from None
        except ssl.SSLError as e:
            smtp.close()
            raise TransportError(f"TLS with {self.where} failed: {e.reason or e}", self.show_file) from None
        except (_smtp().SMTPException, OSError, asyncio.TimeoutError) as e:
            smtp.close()
            cause = e.__cause__
            if isinstance(cause, ssl.SSLError):
                raise TransportError(f"TLS with {self.where} failed: {cause.reason or cause}", self.show_file) from None
            raise Unreachable(f"cannot connect to {self.where}: {e}") from None
        return SmtpConnection(smtp, self.cfg.timeout, self.where, self.show_file)

    async def aclose(self) -> None:
        pass


class SmtpConnection:
    def __init__(self, smtp, timeout: float, where: str, show_file):
        self.smtp, self.timeout, self.where, self.show_file = smtp, timeout, where, show_file
        self.usable = True

    async def send(self, sender: str, to: str, data: bytes) -> Outcome:
        """One message (CRLF line ends). Raises Dropped when the connection goes away, TransportError when
        the server refuses the sender for good."""
        smtp = self.smtp
        try:
            reply = await smtp.execute_command(b"MAIL", b"FROM:<" + sender.encode("ascii") + b">")
            if reply.code != 250:
                if reply.code >= 500:
                    raise TransportError(f"{self.where} refuses the sender {sender}: {reply.code} "
                                         f"{_one_line(reply.message)}", self.show_file)
                return await self._failed(reply)
            reply = await smtp.execute_command(b"RCPT", b"TO:<" + to.encode("ascii") + b">")
            if reply.code not in (250, 251):
                return await self._failed(reply)
            reply = await smtp.execute_command(b"DATA")
            if reply.code != 354:
                return await self._failed(reply)
            protocol = smtp.protocol
            if protocol is None:
                raise _smtp().SMTPServerDisconnected("connection lost")
            protocol.write(wire_data(data))
            # no wait_for on the answer that says "accepted": it would cost two more turns of the event loop
            # before the caller can record it (the window in which a kill sends it twice); a timer hangs up instead
            watchdog = asyncio.get_running_loop().call_later(self.timeout, smtp.close)
            try:
                reply = await protocol.read_response(timeout=None)
            finally:
                watchdog.cancel()
        except _gone() as e:
            self.usable = False
            smtp.close()
            raise Dropped(str(e) or type(e).__name__) from None
        if reply.code == 250:
            return ACCEPTED
        return await self._failed(reply, rset=False)

    async def _failed(self, reply, rset: bool = True) -> Outcome:
        outcome = reply_outcome(reply.code, reply.message)
        if reply.code == 421:  # the server closes the channel
            self.usable = False
            self.smtp.close()
        elif rset:
            try:
                await self.smtp.execute_command(b"RSET")
            except _gone():
                self.usable = False
                self.smtp.close()
        return outcome

    async def close(self) -> None:
        if self.usable and self.smtp.is_connected:
            try:
                await asyncio.wait_for(self.smtp.quit(), timeout=5)
            except Exception:  # noqa: BLE001 - leaving anyway
                self.smtp.close()
        else:
            self.smtp.close()


def _one_line(text) -> str:
    return " ".join(str(text).split())
