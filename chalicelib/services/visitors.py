"""Visitor sessions: a signed token that lets one browser come back to its own conversations, and the visitor's
history (ASYNC-5).

A visitor is anonymous (a random id kept in the browser) unless the brand's page signs their identity: an
identified visitor gets an id derived from the brand's external id, so their conversations follow them to any
device. A notification email's link, or a callback email's (domain/links.py), opens a session as the visitor it was
sent to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain import identity as identities
from chalicelib.domain import links, visitor_tokens
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from chalicelib.domain.model import Conversation, Principal, PrincipalKind
from chalicelib.ports import Clock, Deps, Ids, RateLimits, SecretStore, TenantRepository
from chalicelib.services import frames, limits

HISTORY_PAGE = 20


@dataclass(frozen=True)
class VisitorSession:
    visitor_id: str
    token: str
    expires_at: datetime
    #: The conversation a notification email's link names (the widget opens it), else None.
    conversation_id: str | None = None
    identified: bool = False
    #: The callback a callback email's link names (the widget opens it), else None.
    callback_id: str | None = None


def open_session(
    tenant: str,
    previous_token: object,
    *,
    tenants: TenantRepository,
    secrets: SecretStore,
    ids: Ids,
    clock: Clock,
    identity: object = None,
    resume: object = None,
    callback_link: object = None,
    rate_limits: RateLimits | None = None,
    source_ip: str = "",
) -> VisitorSession:
    """Issue a fresh token: for the visitor a link names (`resume`, or `callback_link`: one or the other), else for
    the identity the brand signed, else for the visitor of a still-valid previous token of the same tenant, else for
    a new visitor. A bad link is refused (401); an identity that does not verify is ignored (the visitor stays
    anonymous). Sessions count against `visitor_sessions_per_hour` (RateLimited over it): a new visitor's against
    `source_ip`."""
    found = tenants.get(tenant)
    if found is None:
        raise NotFound(f"unknown tenant '{tenant}'", field="tenant")
    for name, value in (("visitor_token", previous_token), ("resume", resume), ("callback_link", callback_link)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"'{name}' must be a string", field=name)
    if resume and callback_link:
        raise InvalidInput("give 'resume' or 'callback_link', not both", field="callback_link")
    key = secrets.visitor_token_key()
    now = clock.now()
    verifying = secrets.visitor_token_keys(now)  # the current key, and the previous one in its grace period
    visitor_id, conversation_id, callback_id, identified = None, None, None, False
    if isinstance(resume, str) and resume:
        named = links.verify_resume(verifying, resume, now)
        if named.tenant != tenant:
            raise Unauthorized("this link is for another tenant")
        visitor_id, conversation_id = named.visitor_id, named.conversation_id
    elif isinstance(callback_link, str) and callback_link:
        booked = links.verify_callback_link(verifying, callback_link, now)
        if booked.tenant != tenant:
            raise Unauthorized("this link is for another tenant")
        visitor_id, callback_id = booked.visitor_id, booked.callback_id
    elif identity is not None:
        try:
            signed = identities.verify(found.identity_secrets(now), identity)
        except InvalidInput:
            signed = None
        if signed is not None:
            visitor_id = identified_visitor_id(secrets.visitor_id_key(), tenant, signed.external_id)
            identified = True
    if visitor_id is None and isinstance(previous_token, str) and previous_token:
        try:
            previous = visitor_tokens.verify(verifying, previous_token, now)
        except Unauthorized:
            previous = None  # an expired or foreign token simply starts a new visitor
        if previous is not None and previous.tenant == tenant:
            visitor_id = previous.id
    limits.session_opened(rate_limits, tenant, found.settings, key, visitor_id, source_ip, now)
    visitor_id = visitor_id or ids.new_id()
    token, expires_at = visitor_tokens.sign(key, tenant, visitor_id, now)
    return VisitorSession(visitor_id=visitor_id, token=token, expires_at=expires_at, conversation_id=conversation_id,
                          identified=identified, callback_id=callback_id)


def identified_visitor_id(key: bytes, tenant: str, external_id: str) -> str:
    """The same visitor id for one brand customer on every device (ASYNC-5); not reversible to the external id."""
    digest = hmac.new(key, f"visitor|{tenant}|{external_id}".encode(), hashlib.sha256).digest()
    return "x" + base64.b32encode(digest).decode("ascii").lower()[:25]


def history(deps: Deps, visitor: Principal) -> dict[str, Any]:
    """The visitor's conversations, newest first, unless they chose to hide their history."""
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("visitors only")
    hidden = deps.conversations.history_hidden(visitor.tenant, visitor.id)
    found: list[Conversation] = [] if hidden else deps.conversations.of_visitor(visitor.tenant, visitor.id,
                                                                                HISTORY_PAGE)
    return {"hidden": hidden, "conversations": [frames.for_visitor(c) for c in found]}


def hide_history(deps: Deps, visitor: Principal, hidden: object) -> bool:
    """The visitor's "hide my history" setting (ASYNC-5)."""
    if visitor.kind is not PrincipalKind.VISITOR:
        raise Forbidden("visitors only")
    if not isinstance(hidden, bool):
        raise InvalidInput("'hide_history' must be true or false", field="hide_history")
    deps.conversations.set_history_hidden(visitor.tenant, visitor.id, hidden)
    return hidden
