"""Visitor sessions: a signed token that lets one browser come back to its own conversations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain import visitor_tokens
from chalicelib.domain.errors import InvalidInput, NotFound, Unauthorized
from chalicelib.ports import Clock, Ids, SecretStore, TenantRepository


@dataclass(frozen=True)
class VisitorSession:
    visitor_id: str
    token: str
    expires_at: datetime


def open_session(
    tenant: str,
    previous_token: object,
    *,
    tenants: TenantRepository,
    secrets: SecretStore,
    ids: Ids,
    clock: Clock,
) -> VisitorSession:
    """Issue a fresh token; keep the visitor id of a still-valid previous token of the same tenant."""
    if tenants.get(tenant) is None:
        raise NotFound(f"unknown tenant '{tenant}'", field="tenant")
    if previous_token is not None and not isinstance(previous_token, str):
        raise InvalidInput("'visitor_token' must be a string", field="visitor_token")
    key = secrets.visitor_token_key()
    now = clock.now()
    visitor_id = None
    if previous_token:
        try:
            previous = visitor_tokens.verify(key, previous_token, now)
        except Unauthorized:
            previous = None  # an expired or foreign token simply starts a new visitor
        if previous is not None and previous.tenant == tenant:
            visitor_id = previous.id
    visitor_id = visitor_id or ids.new_id()
    token, expires_at = visitor_tokens.sign(key, tenant, visitor_id, now)
    return VisitorSession(visitor_id=visitor_id, token=token, expires_at=expires_at)
