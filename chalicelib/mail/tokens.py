"""Signed reply tokens: the local part of the Reply-To address of every ticket mail.

    reply+<ticket id>.<recipient hash>.<mac>@<mail domain>

The MAC is HMAC-SHA256 over (ticket id, recipient address) with the deployment's signing key, so
a token names one ticket for one recipient: it cannot be edited to point at another ticket, and
a token that leaked to someone else does not vouch for their address. The recipient hash lets
the inbound side tell "a genuine token, answered from another address" (forwarded mail) from a
forgery without knowing who the token was sent to.

Everything is lower case and fits the 64 characters RFC 5321 allows a local part, because mail
servers on the way may fold the case of an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import parseaddr

from chalicelib.config import get_settings

PREFIX = "reply+"
MAX_LOCAL_PART = 64
_MAC_CHARS = 16  # base32: 80 bits
_HASH_CHARS = 8  # base32: 40 bits, only to recognise the recipient, the MAC does the proving
_DOMAIN_TAG = b"parley-reply-token\x00"  # the signing key also signs cursors: keep uses apart
_TOKEN = re.compile(
    rf"^{re.escape(PREFIX)}(?P<ticket>[0-9a-z-]{{1,40}})"
    rf"\.(?P<rh>[a-z2-7]{{{_HASH_CHARS}}})\.(?P<mac>[a-z2-7]{{{_MAC_CHARS}}})$"
)


@dataclass(frozen=True)
class ReplyToken:
    ticket_id: str
    recipient_hash: str
    mac: str

    def names(self, address: str) -> bool:
        """Whether the token was issued to this address (not yet whether it is genuine)."""
        return hmac.compare_digest(self.recipient_hash, recipient_hash(address))


def normalize(address: str) -> str:
    return parseaddr(address)[1].strip().lower()


def _b32(raw: bytes, chars: int) -> str:
    return base64.b32encode(raw).decode().lower()[:chars]


def recipient_hash(address: str) -> str:
    return _b32(hashlib.sha256(normalize(address).encode()).digest(), _HASH_CHARS)


def _mac(ticket_id: str, recipient: str, key: bytes) -> str:
    message = _DOMAIN_TAG + ticket_id.encode() + b"\x00" + normalize(recipient).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return _b32(digest, _MAC_CHARS)


def sign(ticket_id: str, recipient: str) -> str:
    """The local part for mail about `ticket_id` sent to `recipient`."""
    ticket_id = ticket_id.lower()
    mac = _mac(ticket_id, recipient, get_settings().signing_key)
    local = f"{PREFIX}{ticket_id}.{recipient_hash(recipient)}.{mac}"
    if len(local) > MAX_LOCAL_PART or not _TOKEN.match(local):
        raise ValueError("ticket id too long or not lower-case alphanumeric for a reply token")
    return local


def reply_address(ticket_id: str, recipient: str) -> str:
    return f"{sign(ticket_id, recipient)}@{get_settings().mail_domain}"


def parse(address: str) -> ReplyToken | None:
    """The token in an address at our mail domain, unverified; None if there is none."""
    local, _, domain = normalize(address).rpartition("@")
    if domain != get_settings().mail_domain.lower():
        return None
    match = _TOKEN.match(local)
    if not match:
        return None
    return ReplyToken(match["ticket"], match["rh"], match["mac"])


def verify(address: str, sender: str) -> str | None:
    """The ticket id when `address` carries a genuine token issued to `sender`, else None.
    A token signed with the previous key still counts while one is set: the mail it came in
    was sent before the rotation and may be answered long after."""
    token = parse(address)
    if token is None or not token.names(sender):
        return None
    keys = get_settings().verification_keys()
    if not any(hmac.compare_digest(token.mac, _mac(token.ticket_id, sender, k)) for k in keys):
        return None
    return token.ticket_id
