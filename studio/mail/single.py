"""One message through the show's transport, synchronously: a test copy, a confirmation mail."""

from __future__ import annotations

import asyncio

from studio.core.config import Show
from studio.mail import open_transport
from studio.mail.outcome import Busy, Dropped, Outcome, TransportError, Unreachable
from studio.mail.smtp import crlf_only


def send_one(show: Show, password: str, sender: str, to: str, data: bytes) -> Outcome:
    """Send one message (one retry if the connection drops). TransportError when it cannot go at all."""
    return asyncio.run(_send_one(show, password, sender, to, data))


async def _send_one(show: Show, password: str, sender: str, to: str, data: bytes) -> Outcome:
    data = crlf_only(data)
    transport = open_transport(show, password, connections=1)
    try:
        for attempt in (1, 2):
            try:
                conn = await transport.open()
            except Busy as e:
                raise TransportError(f"{transport.where} is busy: {e}", show.file) from None
            except Unreachable as e:
                raise TransportError(str(e), show.file) from None
            try:
                return await conn.send(sender, to, data)
            except Dropped as e:
                if attempt == 2:
                    raise TransportError(f"lost the connection to {transport.where}: {e}", show.file) from None
            finally:
                await conn.close()
        raise AssertionError("unreachable")
    finally:
        await transport.aclose()
