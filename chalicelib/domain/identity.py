"""A brand vouches for a logged-in customer by signing their identity with the tenant's identity secret (HMAC).

The brand's server computes ``signature = hex(HMAC-SHA256(secret, canonical))`` where ``canonical`` is the JSON of
``{"email": ..., "external_id": ..., "name": ...}`` with sorted keys and no spaces (missing fields as ""), and hands
``{"external_id", "name", "email", "signature"}`` to its page, which gives it to the widget. Without a valid
signature nothing of it is trusted.

After a rotation of the identity secret (`guichet secret rotate`), the previous secret still verifies for a grace
period (domain/key_rotation.py): `verify` takes the secrets that verify now, current first.
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


def verify(secret: str | tuple[str, ...], claimed: object) -> SignedIdentity:
    """The identity the brand signed (with `secret`, or any of several), or InvalidInput (field `identity`) when it
    is malformed or forged."""
    secrets = (secret,) if isinstance(secret, str) else secret
    if not isinstance(claimed, dict):
        raise InvalidInput("'identity' must be an object", field="identity")
    values = {name: claimed.get(name, "") for name in FIELDS}
    if not all(isinstance(v, str) and len(v) <= 320 for v in values.values()) or not values["external_id"]:
        raise InvalidInput("'identity' needs external_id, and name and email as short texts", field="identity")
    signature = claimed.get("signature")
    valid = isinstance(signature, str) and signature.isascii()
    matches = [bool(s) and valid and hmac.compare_digest(str(signature), sign(s, values["external_id"],
                                                                              values["name"], values["email"]))
               for s in secrets]
    if not any(matches):
        raise InvalidInput("'identity' is not signed by the brand", field="identity")
    return SignedIdentity(values["external_id"], values["name"], emails.valid_email("identity.email",
                                                                                     values["email"]))
