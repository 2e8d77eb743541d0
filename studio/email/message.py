"""The email as a MIME message: multipart/alternative (text, then HTML), UTF-8,
encoded headers, and RFC 8058 one-click List-Unsubscribe headers.

Display names in From and To are never passed through: a name that is not plain
ASCII, or that contains "=?" (it could read as an RFC 2047 encoded word naming
another address), is written as one RFC 2047 encoded word of its own (email.header).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from studio.core.config import Show
from studio.core.manifest import Manifest
from studio.email.render import unsubscribe_mailbox
from studio.present.content import one_line

# CRLF line ends; headers set with set_raw (List-Unsubscribe) are kept as given, never RFC 2047-encoded
_POLICY = policy.SMTP.clone(refold_source="none")


def sender(show: Show) -> Address:
    addr = show.email.from_address or show.owner_email
    local, domain = addr.split("@")
    return Address(display_name=one_line(show.email.from_name or show.title), username=local, domain=domain)


def message_id(show: Show, *seed: str) -> str:
    """A Message-ID that is the same for the same seed: resending after a crash reuses it."""
    digest = hashlib.sha256("\0".join(seed).encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.studio@{sender(show).domain}>"


def build_message(
    show: Show,
    *,
    subject: str,
    text: str,
    html: str,
    to: Address,
    msg_id: str,
    date: dt.datetime,
    unsubscribe_https: str | None,
    unsubscribe_mailto: str | None,
) -> EmailMessage:
    msg = EmailMessage(policy=_POLICY)
    msg.set_raw("From", mailbox_header(sender(show)))
    msg.set_raw("To", mailbox_header(to))
    if show.email.reply_to:
        msg["Reply-To"] = show.email.reply_to
    msg["Subject"] = one_line(subject)  # no CR/LF can reach a header
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = msg_id
    targets = [u for u in (unsubscribe_https, unsubscribe_mailto) if u]
    if targets:
        msg.set_raw("List-Unsubscribe", ",\n ".join(f"<{one_line(u)}>" for u in targets))
    if unsubscribe_https:
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    # a boundary derived from the content (never in base64 or quoted-printable text): same input, same bytes
    msg.set_boundary("=_studio_" + hashlib.sha256((msg_id + text + html).encode("utf-8")).hexdigest()[:28])
    return msg


def mailbox_header(address: Address) -> str:
    """`name <addr>` for a header: a plain ASCII name as it is (quoted where needed), any other name
    RFC 2047-encoded, so that no name can be decoded into something else."""
    name = one_line(address.display_name)
    if not name:
        return address.addr_spec
    if name.isascii() and name.isprintable() and "=?" not in name:
        return formataddr((name, address.addr_spec))
    return f"{encoded_words(name)} <{address.addr_spec}>"


def encoded_words(text: str, most: int = 45) -> str:
    """`text` as RFC 2047 encoded words of at most `most` UTF-8 bytes each (so each stays under 75
    characters), cut before a space where possible: a decoder that keeps folding white space (Python's)
    then only doubles a space, never splits a word."""
    chunks, current = [], ""
    for piece in re.split(r"(?= )", text):  # each word with the space before it
        while len(piece.encode("utf-8")) > most:  # a word too long for one encoded word: cut it
            cut = next(i for i in range(len(piece), 0, -1) if len(piece[:i].encode("utf-8")) <= most)
            chunks += [current] if current else []
            chunks.append(piece[:cut])
            current, piece = "", piece[cut:]
        if current and len((current + piece).encode("utf-8")) > most:
            chunks.append(current)
            current = piece
        else:
            current += piece
    chunks += [current] if current else []
    return "\n ".join(Header(c, "utf-8").encode(maxlinelen=1000) for c in chunks)


def to_address(email: str, name: str = "") -> Address:
    local, domain = email.rsplit("@", 1)
    return Address(display_name=one_line(name), username=local, domain=domain)


def built_eml(show: Show, manifest: Manifest, subject: str, text: str, html: str) -> bytes:
    """The episode's email as written to email.eml: addressed to the sender, generic unsubscribe links."""
    date = manifest.published
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.timezone.utc)
    me = sender(show)
    msg = build_message(
        show, subject=subject, text=text, html=html, to=me,
        msg_id=message_id(show, manifest.guid),
        date=date,
        unsubscribe_https=show.unsubscribe_url or None,
        unsubscribe_mailto=f"mailto:{unsubscribe_mailbox(show)}?subject=unsubscribe",
    )
    return msg.as_bytes()
