"""Edition: the newsletter rendered once and personalised per recipient must be the message build_message() makes
for that recipient (same headers, same decoded parts), whatever the name, address or transfer encoding."""

from __future__ import annotations

import datetime as dt
import email
import html
import re
from email import policy
from email.header import decode_header, make_header
from email.utils import getaddresses
from pathlib import Path

import pytest

from studio.core import tokens
from studio.core.config import load_show
from studio.email.context import draft_context
from studio.email.message import build_message, message_id, to_address
from studio.email.render import render_email, unsubscribe_mailbox
from studio.ingest import read_episode
from studio.send.edition import SENTINEL, Edition
from tests.conftest import make_show

SECRET = "edition-secret"
RECIPIENTS = [
    ("reader1@example.com", "读者 1"),
    ("plain@example.org", ""),
    ("x@xn--fsqu00a.com", "Ünïcödé Nämé with a display name long enough to be folded over two lines"),
    ("o.brien@sub.example.net", 'Eve "the" O\'Brien, Jr.'),
]


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    root = make_show(tmp_path_factory.mktemp("edition"))
    with open(root / "show.toml", "a", encoding="utf-8") as f:
        f.write('\n[email]\nfrom_address = "news@studio.example.org"\nreply_to = "ed@studio.example.org"\n'
                'unsubscribe_url = "https://studio.example.org/u?list=weekly&x=1"\n')
    return load_show(root / "show.toml")


def reference(show, context, address: str, name: str, msg_id: str) -> bytes:
    """What build_message() makes for one recipient: the way every message was made before Edition."""
    parts = render_email(show, context, unsubscribe_url=SENTINEL)
    token = tokens.sign(address, SECRET)
    https = tokens.unsubscribe_link(show.unsubscribe_url, token)
    return build_message(show, subject=parts.subject, text=parts.text.replace(SENTINEL, https),
                         html=parts.html.replace(SENTINEL, html.escape(https)), to=to_address(address, name),
                         msg_id=msg_id, date=dt.datetime.now(dt.timezone.utc), unsubscribe_https=https,
                         unsubscribe_mailto=tokens.unsubscribe_mailto(unsubscribe_mailbox(show), token)).as_bytes()


@pytest.mark.parametrize("script", ["2024-03-27-ai-newsletter.md", "2023-06-02-ai-compute-weekly.txt"])
def test_personalised_message_equals_the_one_built_for_that_recipient(show, script):
    context = draft_context(show, read_episode(show.root / "episodes" / script))
    edition = Edition(show, context, SECRET)
    for address, name in RECIPIENTS:
        msg_id = message_id(show, "guid", address)
        ours = edition.message(address, name, msg_id)
        ref = reference(show, context, address, name, msg_id)
        a = email.message_from_bytes(ours, policy=policy.default)
        b = email.message_from_bytes(ref, policy=policy.default)
        assert [k for k in a.keys()] == [k for k in b.keys()]
        for key in b.keys():
            if key not in ("Date", "Content-Type"):  # the date is the send time; the boundary differs
                assert str(a[key]) == str(b[key]), key
        assert a["To"].addresses[0].addr_spec == address
        # the name as a mail client decodes it: RFC 2047 ignores the white space between encoded words (Python's
        # header registry keeps it, so it is read here with the standard's decoder)
        raw_to = re.search(rb"\r\nTo: (.*?)\r\n(?! )", ours, re.S).group(1).replace(b"\r\n", b"").decode("ascii")
        ((shown, _),) = getaddresses([raw_to])
        assert str(make_header(decode_header(shown))) == name
        assert [p.get_content() for p in a.iter_parts()] == [p.get_content() for p in b.iter_parts()]
        assert [p.get_content_type() for p in a.iter_parts()] == ["text/plain", "text/html"]
        assert a.defects == [] and all(p.defects == [] for p in a.iter_parts())
        # on the wire: CRLF line ends only, no line over 998 octets (RFC 5322), the link verifies
        assert ours.count(b"\n") == ours.count(b"\r\n") == ours.count(b"\r")
        assert max(len(line) for line in ours.split(b"\r\n")) <= 998
        assert tokens.verify(re.search(r"t=([^>&]+)>", a["List-Unsubscribe"]).group(1), SECRET) == address


def test_short_lines_around_the_link_go_quoted_printable(show, tmp_path: Path):
    """A part the email package would send as 7bit with the short stand-in link is sent quoted-printable, so a
    recipient's long link never makes a line longer than the standard allows."""
    context = draft_context(show, read_episode(show.root / "episodes" / "2024-03-27-ai-newsletter.md"))
    edition = Edition(show, context, SECRET)
    edition.parts = edition.parts.__class__(**{**edition.parts.__dict__, "text": f"Hi.\n\nLeave: {SENTINEL}\n"})
    edition._plan(build_message(show, subject="s", text=edition.parts.text, html=edition.parts.html,
                                to=to_address("studio-personal-to@unsubscribe.invalid"),
                                msg_id="<studio-personal-id.0123456789abcdef@unsubscribe.invalid>",
                                date=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), unsubscribe_https=SENTINEL,
                                unsubscribe_mailto="mailto:studio-personal-mailto@unsubscribe.invalid"))
    long_address = "a" * 60 + "@" + "b" * 60 + ".example.com"
    raw = edition.message(long_address, "", "<x@y>")
    msg = email.message_from_bytes(raw, policy=policy.default)
    text = msg.get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert tokens.unsubscribe_link(show.unsubscribe_url, tokens.sign(long_address, SECRET)) in text.get_content()
    body = raw.split(b"\r\n\r\n", 1)[1]  # (List-Unsubscribe's long URLs are never folded, as build_message has it)
    assert max(len(line) for line in body.split(b"\r\n")) <= 78
