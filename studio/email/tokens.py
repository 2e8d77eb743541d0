"""Signed unsubscribe tokens: the address, and an HMAC-SHA256 over it with the show's secret.

A token is `<base64url(address)>.<base64url(mac[:16])>`: URL-safe, no padding,
verifiable by the show's unsubscribe endpoint with `verify(token, secret)`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

_PURPOSE = b"studio-unsubscribe-v1\0"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(address: str, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _PURPOSE + address.encode("utf-8"), hashlib.sha256).digest()[:16]


def sign(address: str, secret: str) -> str:
    address = address.strip().lower()
    return f"{_b64(address.encode('utf-8'))}.{_b64(_mac(address, secret))}"


def verify(token: str, secret: str) -> str | None:
    """The address a token was made for, or None if it is forged or malformed."""
    try:
        addr_part, mac_part = token.split(".")
        address = _unb64(addr_part).decode("utf-8")
        mac = _unb64(mac_part)
    except (ValueError, UnicodeDecodeError):
        return None
    return address if hmac.compare_digest(mac, _mac(address, secret)) else None


def unsubscribe_link(base_url: str, token: str) -> str:
    """`base_url` with `t=<token>` added to its query."""
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}t={quote(token, safe='.-_')}"


def unsubscribe_mailto(mailbox: str, token: str) -> str:
    return f"mailto:{mailbox}?subject=unsubscribe%20{quote(token, safe='.-_')}"
