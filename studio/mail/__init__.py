"""Mail transport: hand finished messages to an SMTP server or to Amazon SES, many at a time.

outcome.py  what a server answered to one message (accepted, refused, deferred; throttling)
pacing.py   the adaptive send rate (grows while the server keeps up, backs off when told)
smtp.py     SMTP connections (aiosmtplib: TLS, login) with a cheap DATA path
ses.py      Amazon SES (API v2, boto3) behind the same connection interface
pool.py     a pool of connections working through a stream of recipients, retrying deferrals
single.py   one message, synchronously (test copies, confirmation mails)

This package knows nothing about episodes, subscribers or the send log: callers pass
messages and get outcomes. It imports only Studio's core modules.
"""

from __future__ import annotations

from studio.core.config import Show
from studio.mail.outcome import Busy, Dropped, Outcome, TransportError, Unreachable
from studio.mail.ses import SesTransport
from studio.mail.smtp import SmtpTransport

__all__ = ["Busy", "Dropped", "Outcome", "TransportError", "Unreachable", "open_transport", "transport_name"]


def transport_name(show: Show) -> str:
    """smtp or ses: `smtp.transport`, else ses when [ses] names a region or an endpoint."""
    if show.smtp.transport:
        return show.smtp.transport
    return "ses" if (show.ses.region or show.ses.endpoint_url) else "smtp"


def open_transport(show: Show, password: str = "", connections: int | None = None):
    """The show's transport (not yet connected): SmtpTransport or SesTransport."""
    if transport_name(show) == "ses":
        return SesTransport(show, connections or show.smtp.connections)
    return SmtpTransport(show, password)
