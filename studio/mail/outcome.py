"""What a server answered to one message, and the ways a connection can fail."""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.core.errors import StudioError
from studio.core.lazy import lazy_pattern

# 421: the server closes the channel (too busy, too many connections); x.7.x: policy, e.g. 4.7.1 rate limits
# and greylisting; SES over SMTP: "454 Throttling failure: Maximum sending rate exceeded"
_THROTTLE_TEXT = lazy_pattern(r"throttl|\brate\b|too many|slow down", re.I)
_DAILY_QUOTA = lazy_pattern(r"daily (message|sending)? ?quota", re.I)


@dataclass(frozen=True)
class Outcome:
    status: str  # accepted | refused | deferred
    code: int | None = None
    reason: str = ""
    throttle: bool = False  # the server asks the sender to slow down
    quota: bool = False  # a daily quota is used up: nothing more goes today

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


ACCEPTED = Outcome("accepted")


def reply_outcome(code: int, text: str) -> Outcome:
    """An SMTP reply as an outcome: 2xx accepted, 4xx deferred (throttle or not), 5xx refused."""
    text = " ".join(str(text).split())
    reason = f"{code} {text}".strip()
    if 200 <= code < 300:
        return Outcome("accepted", code, reason)
    if 400 <= code < 500:
        quota = bool(_DAILY_QUOTA.search(text))
        throttle = (code == 421 or text.startswith("4.7.") or bool(_THROTTLE_TEXT.search(text))) and not quota
        return Outcome("deferred", code, reason, throttle=throttle, quota=quota)
    return Outcome("refused", code, reason)


class TransportError(StudioError):
    """Nothing can be sent: a bad login, TLS failure, a sender the server refuses, a suspended account."""


class Busy(Exception):
    """The server refused one more connection (421 at connect): the pool must shrink."""


class Unreachable(Exception):
    """The server could not be reached (refused, timed out); the pool retries later."""


class Dropped(Exception):
    """The connection went away while a message was on it: its fate is unknown, send it again."""
