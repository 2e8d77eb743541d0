"""Bounces (RFC 3464 DSNs), complaints (RFC 5965 ARF) and mailto unsubscribes from an mbox or Maildir.

A DSN's per-recipient block with `Action: failed` and a 5.x.x `Status` is a hard
bounce; `failed` with 4.x.x or `Action: delayed` is a soft bounce. An ARF report
with `Feedback-Type: abuse` (or fraud) is a complaint. The address is the
recipient the report names; when the returned message still carries our
List-Unsubscribe token, the token's address wins (it cannot be forged). A mail
whose subject starts with "unsubscribe" unsubscribes its token's address, or
else its sender's, if that sender is a subscriber.

Only a complaint carrying our token is believed (-> complained): anyone can mail
the bounce mailbox, so any other complaint only holds a known address (-> held,
logged, `studio subscribers restore` undoes it). Only regular files are read,
and none over MAX_MESSAGE: a message's size is checked before it is read, mbox
lines are read in bounded pieces, devices, FIFOs and links in a Maildir are skipped.
"""

from __future__ import annotations

import email
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import BinaryIO, Iterator

from studio.core import tokens
from studio.core.errors import StudioError
from studio.core.lazy import lazy_pattern
from studio.subscribers.listfile import normalize_address
from studio.subscribers.store import Store

MAX_MESSAGE = 10 * 1024 * 1024  # bytes; a bigger message is not a report and is skipped
MBOX_LINE_MAX = 64 * 1024  # an mbox is read in lines of at most this many bytes
_TOKEN = lazy_pattern(r"[?&]t=([A-Za-z0-9_.-]+)|unsubscribe(?:%20|\s)+([A-Za-z0-9_.-]+)", re.I)


class BounceError(StudioError):
    """The mailbox cannot be read."""


@dataclass
class BounceFinding:
    kind: str  # hard | soft | complaint | unsubscribe
    address: str
    detail: str
    verified: bool = True  # a complaint is believed only with our own token in it


@dataclass
class BounceResult:
    messages: int = 0
    already: int = 0  # processed by an earlier run
    hard: int = 0
    soft: int = 0
    suppressed_soft: int = 0  # reached the soft bounce limit in this run
    complaints: int = 0
    held: int = 0  # complaints without our token: the address is held for the host to review
    unsubscribes: int = 0
    unknown: int = 0  # reports about addresses the store does not have
    unrecognised: int = 0  # neither a DSN, an ARF report nor an unsubscribe
    skipped: int = 0  # over MAX_MESSAGE, or not a regular file: never read
    changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}

    def lines(self, path: Path) -> list[str]:
        return self.changes + [
            f"{path}: {self.messages} messages ({self.already} read before): {self.hard} hard bounces, "
            f"{self.soft} soft ({self.suppressed_soft} now suppressed), {self.complaints} complaints, "
            f"{self.held} unverified complaints (held: `studio subscribers complaints`), "
            f"{self.unsubscribes} unsubscribes, {self.unknown} about unknown addresses, "
            f"{self.unrecognised} not recognised, {self.skipped} skipped (over 10 MB or not a file)"]


def read_mailbox(path: Path) -> Iterator[tuple[str, bytes | None]]:
    """(key, raw bytes) of every message in an mbox file or a Maildir; None instead of the bytes for a
    message that was not read (over MAX_MESSAGE, or in a Maildir not a regular file)."""
    path = Path(path)
    try:
        if path.is_dir():
            if not all((path / d).is_dir() for d in ("cur", "new", "tmp")):
                raise BounceError("not a Maildir (it needs cur/, new/ and tmp/)", path)
            yield from _maildir(path)
            return
        if not path.exists():
            raise BounceError("no such mbox file or Maildir", path)
        f = _open_regular(path, follow=True)
        if f is None:
            raise BounceError("not a regular file (a device, FIFO or socket) nor a Maildir: not read", path)
        with f:
            head = f.read(5)
            if head and head != b"From ":
                raise BounceError("not an mbox file (it must start with a 'From ' line) nor a Maildir", path)
            f.seek(0)
            for n, raw in enumerate(_mbox(f)):
                yield str(n), raw
    except OSError as e:
        raise BounceError(f"cannot read the mailbox: {e.strerror or e}", path) from None


def _open_regular(path: Path, follow: bool) -> BinaryIO | None:
    """The file open for reading when it is a regular file (checked on the open file: no race), else None.
    O_NONBLOCK: opening a FIFO must not wait for a writer."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _maildir(path: Path) -> Iterator[tuple[str, bytes | None]]:
    for sub in ("new", "cur"):
        for name in sorted(os.listdir(path / sub)):
            if name.startswith("."):
                continue
            f = _open_regular(path / sub / name, follow=False)
            if f is None:
                yield name, None
                continue
            with f:
                if os.fstat(f.fileno()).st_size > MAX_MESSAGE:
                    yield name, None
                    continue
                raw = f.read(MAX_MESSAGE + 1)
            yield name, None if len(raw) > MAX_MESSAGE else raw


def _mbox(f: BinaryIO) -> Iterator[bytes | None]:
    """Each message of an mbox (without its 'From ' line), or None for one over MAX_MESSAGE, whose bytes are
    dropped as they are read. Lines are read in pieces of at most MBOX_LINE_MAX bytes."""
    msg, size, over, started, at_line_start = bytearray(), 0, False, False, True
    while True:
        line = f.readline(MBOX_LINE_MAX)
        if not line:
            break
        if at_line_start and line.startswith(b"From "):
            if started:
                yield _ended(msg, over)
            msg, size, over, started = bytearray(), 0, False, True
        elif started:
            size += len(line)
            if size > MAX_MESSAGE:
                over, msg = True, bytearray()
            elif not over:
                msg += line
        at_line_start = line.endswith(b"\n")
    if started:
        yield _ended(msg, over)


def _ended(msg: bytearray, over: bool) -> bytes | None:
    if over:
        return None
    return bytes(msg[:-1] if msg.endswith(b"\n\n") else msg)  # the blank line before the next 'From '


def _addr(value: str | None) -> str | None:
    """An address from 'rfc822; a@b', '<a@b>' or 'Name <a@b>'."""
    if not value:
        return None
    value = str(value).split(";", 1)[-1].strip()
    m = re.search(r"<([^<>]+)>", value)
    found = normalize_address(m.group(1) if m else value)
    return found.lower() if found else None


def _token_address(headers: Message | None, secret: str) -> str | None:
    if headers is None or not secret:
        return None
    for value in headers.get_all("List-Unsubscribe") or []:
        for m in _TOKEN.finditer(str(value)):
            address = tokens.verify(m.group(1) or m.group(2), secret)
            if address:
                return address
    return None


def _original_headers(msg: Message) -> Message | None:
    """The returned message (message/rfc822) or its headers (text/rfc822-headers) in a report."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            return payload[0] if isinstance(payload, list) and payload else None
        if ctype in ("text/rfc822-headers", "text/global-headers"):
            raw = part.get_payload(decode=True) or b""
            return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return None


def classify(msg: Message, secret: str) -> list[BounceFinding] | None:
    """What a message reports; None if it is neither a report nor an unsubscribe."""
    if msg.get_content_type() == "multipart/report":
        kind = (msg.get_param("report-type") or "").lower()
        original = _original_headers(msg)
        by_token = _token_address(original, secret)
        if kind == "delivery-status":
            return _dsn(msg, by_token)
        if kind == "feedback-report":
            return _arf(msg, original, by_token)
        return None
    subject = " ".join(str(msg.get("Subject", "")).split())
    if subject.lower().startswith("unsubscribe"):
        m = _TOKEN.search(subject)
        address = tokens.verify(m.group(2), secret) if m and m.group(2) and secret else None
        address = address or _addr(msg.get("From"))
        return [BounceFinding("unsubscribe", address, "mailto unsubscribe")] if address else []
    return None


def _dsn(msg: Message, by_token: str | None) -> list[BounceFinding]:
    out = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks[1:] if isinstance(blocks, list) else []:
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            address = _addr(block.get("Final-Recipient")) or _addr(block.get("Original-Recipient"))
            if by_token and len(blocks) == 2:
                address = by_token  # one recipient, and the returned message says whose it was
            if not address:
                continue
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())[:200]
            detail = f"{status} {diagnostic}".strip()
            if action == "failed" and status.startswith("5"):
                out.append(BounceFinding("hard", address, detail))
            elif action == "delayed" or (action == "failed" and status.startswith("4")):
                out.append(BounceFinding("soft", address, detail))
    return out


def _arf(msg: Message, original: Message | None, by_token: str | None) -> list[BounceFinding]:
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        fields = payload[0] if isinstance(payload, list) and payload else part
        feedback = str(fields.get("Feedback-Type", "")).strip().lower()
        if feedback not in ("abuse", "fraud"):
            return []
        address = by_token or _addr(fields.get("Original-Rcpt-To")) or (
            _addr(original.get("To")) if original is not None else None)
        agent = " ".join(str(fields.get("User-Agent", "")).split())[:100]
        detail = f"{feedback} report {agent}".strip()
        return [BounceFinding("complaint", address, detail, verified=by_token is not None)] if address else []
    return []


def process_mailbox(path: Path, store: Store, secret: str, soft_limit: int) -> BounceResult:
    result = BounceResult()
    for key, raw in read_mailbox(path):
        result.messages += 1
        if raw is None or len(raw) > MAX_MESSAGE:
            result.skipped += 1
            continue
        msg = email.message_from_bytes(raw, policy=policy.compat32)
        ident = " ".join(str(msg.get("Message-ID", "")).split()) or hashlib.sha256(raw).hexdigest()
        if store.report_seen(ident):
            result.already += 1
            continue
        findings = classify(msg, secret)
        if findings is None:
            result.unrecognised += 1
        for f in findings or []:
            _apply(f, store, soft_limit, result)
        store.mark_report(ident)
    return result


_EFFECT = {"hard": ("bounced", "hard"), "complaint": ("complained", "complaints"),
           "unsubscribe": ("unsubscribed", "unsubscribes")}


def _apply(f: BounceFinding, store: Store, soft_limit: int, result: BounceResult) -> None:
    known = store.status(f.address)
    if f.kind in ("hard", "soft") and known is None:
        result.unknown += 1
        return
    if f.kind == "soft":
        result.soft += 1
        count, suppressed = store.soft_bounce(f.address, f.detail, soft_limit)
        if suppressed:
            result.suppressed_soft += 1
            result.changes.append(f"{f.address}: bounced ({count} soft bounces)")
        return
    if f.kind == "complaint" and not f.verified:
        before = store.hold(f.address, f"unverified complaint ({f.detail}): no List-Unsubscribe token of ours")
        if before is None:
            result.unknown += 1
            return
        result.held += 1
        if before in ("active", "pending"):
            result.changes.append(f"{f.address}: {before} -> held (unverified complaint; "
                                  f"`studio subscribers restore {f.address}` undoes it)")
        return
    status, counter = _EFFECT[f.kind]
    if f.kind == "unsubscribe" and known is None:  # only a subscriber's own address unsubscribes
        result.unknown += 1
        return
    setattr(result, counter, getattr(result, counter) + 1)
    before = store.set_status(f.address, status, f.detail, source=f.kind)
    if before != status:
        result.changes.append(f"{f.address}: {before or 'unknown'} -> {status} ({f.detail})")
