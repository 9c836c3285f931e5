"""Crediting a sale to an agent (ASYNC-12).

A sale is credited to the last agent who wrote to the visitor before it, whatever conversation, snooze or
transfer lay between, provided that agent's last message is at most `window` older than the sale; otherwise
nobody is credited. The reference's two examples and its 48-hour example are tests (tests/unit/test_sales.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.model import Message, PrincipalKind


@dataclass(frozen=True)
class Credit:
    agent_id: str
    agent_name: str
    conversation_id: str
    last_message_at: datetime


@dataclass(frozen=True)
class Sale:
    tenant: str
    order_id: str
    visitor_id: str
    at: datetime
    amount: str
    currency: str
    credit: Credit | None


def credit(candidates: Iterable[Message], sale_at: datetime, window: timedelta) -> Credit | None:
    """Among agents' messages (of any of the visitor's conversations), the newest one at or before the sale,
    if it is within `window` of it."""
    before = [m for m in candidates if m.sender.kind is PrincipalKind.AGENT and m.sent_at <= sale_at]
    if not before:
        return None
    last = max(before, key=lambda m: (m.sent_at, m.seq))
    if sale_at - last.sent_at > window:
        return None
    return Credit(agent_id=last.sender.id, agent_name=last.sender.name, conversation_id=last.conversation_id,
                  last_message_at=last.sent_at)


def signature(secret: str, body: bytes) -> str:
    """What the brand's server puts in the `X-Guichet-Signature` header: hex HMAC-SHA256 of the raw body with the
    tenant's identity secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(secret: str | tuple[str, ...], body: bytes, given: str | None) -> None:
    """Unauthorized unless `given` is the body's signature with `secret` (or one of several: the identity secret and,
    after a rotation, the previous one in its grace period)."""
    secrets = (secret,) if isinstance(secret, str) else secret
    # compare_digest refuses non-ASCII text (TypeError): such a header is simply not a signature.
    if not given or not given.isascii() or not any(
            [bool(s) and hmac.compare_digest(signature(s, body), given.strip().lower()) for s in secrets]):
        raise Unauthorized("the sale is not signed by the brand (X-Guichet-Signature)")
