"""Signed links and addresses of notification emails (ASYNC-2).

- A *resume link* reopens the widget on one conversation for its visitor: ``r1.<payload>.<signature>``, payload
  base64url JSON ``{"t": tenant, "v": visitor id, "c": conversation id, "exp": epoch}``, HMAC-SHA256 with the
  deployment's visitor secret (the same key as visitor tokens, another prefix, so neither passes for the other).
- A *reply key* names a conversation in its reply-to address ``reply+<tenant>.<key>@<inbound domain>``: 20 lowercase
  base32 characters of an HMAC of the tenant and conversation, stable, so every email of a conversation has the same
  one; mail systems may change the case of an address, so the key has none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.visitor_tokens import signed_claims

PREFIX = "r1"
LIFETIME = timedelta(days=30)
REPLY_KEY_CHARS = 20
_TENANT_IN_ADDRESS = re.compile(r"[a-z0-9][a-z0-9-]{0,35}")


@dataclass(frozen=True)
class Resume:
    tenant: str
    visitor_id: str
    conversation_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def resume_token(secret: bytes, resume: Resume, now: datetime) -> str:
    claims = {"t": resume.tenant, "v": resume.visitor_id, "c": resume.conversation_id,
              "exp": int((now + LIFETIME).timestamp())}
    signed = f"{PREFIX}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signed}.{_b64(hmac.new(secret, signed.encode('ascii'), hashlib.sha256).digest())}"


def verify_resume(secret: bytes, token: str, now: datetime) -> Resume:
    """What a resume link names, or Unauthorized when it is malformed, forged or expired."""
    claims = signed_claims(secret, token, now, PREFIX, ("t", "v", "c"), "link")
    return Resume(tenant=claims["t"], visitor_id=claims["v"], conversation_id=claims["c"])


def reply_key(secret: bytes, tenant: str, conversation_id: str) -> str:
    digest = hmac.new(secret, f"reply|{tenant}|{conversation_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:REPLY_KEY_CHARS]


def reply_local_part(tenant: str, key: str) -> str | None:
    """``reply+<tenant>.<key>``: the tenant in clear (every stored key carries it), the key naming the conversation;
    None when the tenant id is not a short lowercase slug (mail systems may change case; a local part holds 64)."""
    if not _TENANT_IN_ADDRESS.fullmatch(tenant):
        return None
    return f"reply+{tenant}.{key}"


def reply_target_of(address: str) -> tuple[str, str] | None:
    """(tenant, key) of a ``reply+<tenant>.<key>@domain`` address, else None."""
    local = address.strip().strip("<>").split("@", 1)[0].lower()
    if not local.startswith("reply+"):
        return None
    tenant, _, key = local[len("reply+"):].rpartition(".")
    if not _TENANT_IN_ADDRESS.fullmatch(tenant) or len(key) != REPLY_KEY_CHARS \
            or not all(c in "abcdefghijklmnopqrstuvwxyz234567" for c in key):
        return None
    return tenant, key
