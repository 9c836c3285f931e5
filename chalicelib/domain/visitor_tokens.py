"""Visitor tokens: a server-signed, expiring proof that the bearer is one visitor of one tenant.

Format: ``v1.<payload>.<signature>`` where payload is base64url JSON ``{"t": tenant, "v": visitor id, "exp": epoch}``
and signature is base64url HMAC-SHA256 over ``v1.<payload>`` with the deployment's visitor secret.

Verifying takes one key or several (a key ring after a rotation, domain/key_rotation.py): a signature made with any
of them verifies. Signing always uses one key, the current one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.model import Principal, PrincipalKind

PREFIX = "v1"
LIFETIME = timedelta(days=30)
#: One key, or the keys that verify now, current first.
Keys = bytes | Sequence[bytes]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_visitor_token(token: str) -> bool:
    return token.startswith(PREFIX + ".")


def sign(secret: bytes, tenant: str, visitor_id: str, now: datetime) -> tuple[str, datetime]:
    expires_at = now + LIFETIME
    payload = _b64(json.dumps({"t": tenant, "v": visitor_id, "exp": int(expires_at.timestamp())}).encode())
    signed = f"{PREFIX}.{payload}"
    signature = _b64(hmac.new(secret, signed.encode("ascii"), hashlib.sha256).digest())
    return f"{signed}.{signature}", expires_at


def verify(secret: Keys, token: str, now: datetime) -> Principal:
    """The visitor the token names, or Unauthorized when it is malformed, forged or expired."""
    claims = signed_claims(secret, token, now, PREFIX, ("t", "v"), "visitor token")
    return Principal(tenant=claims["t"], id=claims["v"], kind=PrincipalKind.VISITOR)


def signed_claims(secret: Keys, token: str, now: datetime, prefix: str, names: tuple[str, ...],
                  what: str) -> dict[str, str]:
    """The string claims `names` of a ``<prefix>.<payload>.<signature>`` token signed with `secret` (HMAC-SHA256),
    or Unauthorized naming `what` when it is malformed, forged or past its ``exp``. With several keys, a signature
    made with any of them verifies."""
    parts = token.split(".")
    if not token.isascii() or len(parts) != 3 or parts[0] != prefix:
        raise Unauthorized(f"malformed {what}")
    keys = (secret,) if isinstance(secret, bytes) else tuple(secret)
    signed = f"{parts[0]}.{parts[1]}".encode("ascii")
    try:
        given = _unb64(parts[2])
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unauthorized(f"malformed {what}") from exc
    # Every key is tried (no early exit), so the time taken does not tell which key, if any, matched.
    matches = [hmac.compare_digest(hmac.new(key, signed, hashlib.sha256).digest(), given) for key in keys]
    if not any(matches):
        raise Unauthorized(f"{what} signature does not verify")
    if not isinstance(claims, dict) or not all(isinstance(claims.get(k), str) for k in names):
        raise Unauthorized(f"malformed {what}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        raise Unauthorized(f"{what} expired")
    return {k: claims[k] for k in names}
