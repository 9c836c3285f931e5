"""A brand vouches for a logged-in customer by signing their identity with the tenant's identity secret (HMAC).

The brand's server computes ``signature = hex(HMAC-SHA256(secret, canonical))`` where ``canonical`` is the JSON of
``{"email": ..., "external_id": ..., "name": ...}`` with sorted keys and no spaces (missing fields as ""), and hands
``{"external_id", "name", "email", "signature"}`` to its page, which gives it to the widget. Without a valid
signature nothing of it is trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from chalicelib.domain import emails
from chalicelib.domain.errors import InvalidInput

FIELDS = ("external_id", "name", "email")


@dataclass(frozen=True)
class SignedIdentity:
    external_id: str
    name: str
    email: str


def canonical(external_id: str, name: str, email: str) -> bytes:
    return json.dumps({"email": email, "external_id": external_id, "name": name}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(secret: str, external_id: str, name: str = "", email: str = "") -> str:
    return hmac.new(secret.encode(), canonical(external_id, name, email), hashlib.sha256).hexdigest()


def verify(secret: str, claimed: object) -> SignedIdentity:
    """The identity the brand signed, or InvalidInput (field `identity`) when it is malformed or forged."""
    if not isinstance(claimed, dict):
        raise InvalidInput("'identity' must be an object", field="identity")
    values = {name: claimed.get(name, "") for name in FIELDS}
    if not all(isinstance(v, str) and len(v) <= 320 for v in values.values()) or not values["external_id"]:
        raise InvalidInput("'identity' needs external_id, and name and email as short texts", field="identity")
    signature = claimed.get("signature")
    expected = sign(secret, values["external_id"], values["name"], values["email"])
    if not secret or not isinstance(signature, str) or not signature.isascii() or not hmac.compare_digest(
            signature, expected):
        raise InvalidInput("'identity' is not signed by the brand", field="identity")
    return SignedIdentity(values["external_id"], values["name"], emails.valid_email("identity.email",
                                                                                     values["email"]))
