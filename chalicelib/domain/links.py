"""Signed links and addresses of notification emails (ASYNC-2).

- A *resume link* reopens the widget on one conversation for its visitor: ``r1.<payload>.<signature>``, payload
  base64url JSON ``{"t": tenant, "v": visitor id, "c": conversation id, "exp": epoch}``, HMAC-SHA256 with the
  deployment's visitor secret (the same key as visitor tokens, another prefix, so neither passes for the other).
- A *callback link* opens the widget on one callback for its visitor, to cancel it, move it, or book again when it
  was not reached (issue 13): ``b1.<payload>.<signature>``, payload ``{"t": tenant, "v": visitor id, "b": callback
  id, "exp": epoch}``, signed the same way. It lasts until a day after the callback's time, or 7 days after an
  immediate callback was asked for.
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

from chalicelib.domain.callbacks.model import Callback
from chalicelib.domain.visitor_tokens import Keys, signed_claims

PREFIX = "r1"
LIFETIME = timedelta(days=30)
CALLBACK_PREFIX = "b1"
#: A callback link outlives its call time by a day (a "not reached" email comes after the last attempt); an
#: immediate callback has no time: its link lasts a week from the request.
CALLBACK_AFTER_CALL = timedelta(days=1)
CALLBACK_IMMEDIATE = timedelta(days=7)
REPLY_KEY_CHARS = 20
_TENANT_IN_ADDRESS = re.compile(r"[a-z0-9][a-z0-9-]{0,35}")


@dataclass(frozen=True)
class Resume:
    tenant: str
    visitor_id: str
    conversation_id: str


@dataclass(frozen=True)
class CallbackLink:
    tenant: str
    visitor_id: str
    callback_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed(secret: bytes, prefix: str, claims: dict[str, object]) -> str:
    signed = f"{prefix}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signed}.{_b64(hmac.new(secret, signed.encode('ascii'), hashlib.sha256).digest())}"


def resume_token(secret: bytes, resume: Resume, now: datetime) -> str:
    return _signed(secret, PREFIX, {"t": resume.tenant, "v": resume.visitor_id, "c": resume.conversation_id,
                                    "exp": int((now + LIFETIME).timestamp())})


def verify_resume(secret: Keys, token: str, now: datetime) -> Resume:
    """What a resume link names, or Unauthorized when it is malformed, forged or expired."""
    claims = signed_claims(secret, token, now, PREFIX, ("t", "v", "c"), "link")
    return Resume(tenant=claims["t"], visitor_id=claims["v"], conversation_id=claims["c"])


def callback_link_expiry(callback: Callback) -> datetime:
    """When a link to `callback` stops working: a day after its call time, or a week after an immediate one was
    asked for."""
    if callback.at is not None:
        return callback.at + CALLBACK_AFTER_CALL
    return callback.created_at + CALLBACK_IMMEDIATE


def callback_token(secret: bytes, link: CallbackLink, expires_at: datetime) -> str:
    return _signed(secret, CALLBACK_PREFIX, {"t": link.tenant, "v": link.visitor_id, "b": link.callback_id,
                                             "exp": int(expires_at.timestamp())})


def verify_callback_link(secret: Keys, token: str, now: datetime) -> CallbackLink:
    """What a callback link names, or Unauthorized when it is malformed, forged or expired."""
    claims = signed_claims(secret, token, now, CALLBACK_PREFIX, ("t", "v", "b"), "link")
    return CallbackLink(tenant=claims["t"], visitor_id=claims["v"], callback_id=claims["b"])


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
