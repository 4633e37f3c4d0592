"""The address an e-mail copy asks to be answered at: `<local>+<token>@<domain>`.

The token names the copy (its delivery id) and carries a keyed digest of it, so that an
answer finds its thread and the person the copy went to, and nobody can make up an address
that lands in another thread. Mail servers deliver `local+anything@domain` to `local@domain`
(sub-addressing), so one mailbox receives the answers to every copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from email.utils import parseaddr

from django.conf import settings

# The copy's id in base32 (26 characters) and 8 characters (40 bits) of a keyed digest:
# short enough that the header stays on one line, in lower case since some servers fold it.
ID_CHARS = 26
DIGEST_CHARS = 8
_TOKEN = re.compile(rf"^([a-z2-7]{{{ID_CHARS}}})([a-z2-7]{{{DIGEST_CHARS}}})$")


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _digest(encoded_id: str) -> str:
    key = f"relais-reply-address:{settings.SECRET_KEY}".encode()
    return _b32(hmac.new(key, encoded_id.encode(), hashlib.sha256).digest())[:DIGEST_CHARS]


def reply_mailbox() -> tuple[str, str]:
    """(local part, domain) of the desk that receives the answers."""
    configured = getattr(settings, "RELAIS_REPLY_TO_EMAIL", "") or ""
    address = parseaddr(configured)[1] or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    local, _, domain = (address or "reponses@relais.example").rpartition("@")
    domain = getattr(settings, "RELAIS_REPLY_DOMAIN", "") or domain or "relais.example"
    return (local or "reponses").split("+", 1)[0], domain


def reply_address(delivery_id: uuid.UUID) -> str:
    local, domain = reply_mailbox()
    encoded = _b32(delivery_id.bytes)
    return f"{local}+{encoded}{_digest(encoded)}@{domain}"


def delivery_id_from_address(address: str) -> uuid.UUID | None:
    """The copy an address answers, or None when it is not one of ours (or was forged)."""
    local = (parseaddr(address)[1] or address).rpartition("@")[0].lower()
    if "+" not in local:
        return None
    match = _TOKEN.match(local.rsplit("+", 1)[1])
    if match is None:
        return None
    encoded, digest = match.groups()
    if not hmac.compare_digest(digest, _digest(encoded)):
        return None
    return uuid.UUID(bytes=base64.b32decode(encoded.upper() + "======"))
