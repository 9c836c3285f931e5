"""Enforcing the per-visitor limits (domain/rate_limits.py, docs/limits.md) before anything is stored: a counted
window for new sessions and conversations, the pace stored with each message for messages."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import rate_limits as rules
from chalicelib.domain.errors import RateLimited
from chalicelib.domain.model import Principal
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import ConversationView, Deps, RateLimits
from chalicelib.services import tenants


def count(limits: RateLimits | None, tenant: str, kind: str, key: str, limit: int, seconds: int, now: datetime,
          what: str) -> None:
    """Count one more `kind` for `key` in the current window of `seconds`; RateLimited once the window holds `limit`.
    Without a `RateLimits` port nothing is counted."""
    if limits is None:
        return
    window = rules.window_of(now, seconds)
    if not limits.take(tenant, kind, key, limit, window):
        raise _limited(what, window, now)


def message_pace(deps: Deps, sender: Principal, view: ConversationView, now: datetime) -> int:
    """The visitor's pace to store with a new message: one more for the visitor's own message (RateLimited when the
    minute already holds the tenant's `visitor_messages_per_minute`), the same for an agent's. The tenant's settings
    are read only once the pace reaches the lowest limit a tenant can set."""
    pace = rules.pace_before(view.recent, view.visitor_pace, now)
    if sender.is_agent:
        return pace
    if pace >= rules.MESSAGES_PER_MINUTE[0] and pace >= tenants.settings_of(
            deps, sender.tenant).visitor_messages_per_minute:
        raise _limited("messages", rules.window_of(now, rules.MINUTE), now)
    return pace + 1


def _limited(what: str, window: rules.Window, now: datetime) -> RateLimited:
    wait = rules.retry_after(window, now)
    return RateLimited(f"too many {what} from this visitor; try again in {wait} s", retry_after=wait)


def conversation_started(deps: Deps, visitor: Principal, settings: TenantSettings, now: datetime) -> None:
    """Count a conversation the visitor starts (`visitor_conversations_per_hour`), before it is stored."""
    count(deps.rate_limits, visitor.tenant, rules.CONVERSATIONS, visitor.id, settings.visitor_conversations_per_hour,
          rules.HOUR, now, "conversations")


def session_opened(rate_limits: RateLimits | None, tenant: str, settings: TenantSettings, secret: bytes,
                   visitor_id: str | None, source_ip: str, now: datetime) -> None:
    """Count a session before its token is signed (`visitor_sessions_per_hour`): a known visitor's (a valid previous
    token, a signed identity, a link) against their id, a new visitor's against their network address."""
    key = f"v-{visitor_id}" if visitor_id else rules.source_key(secret, source_ip)
    count(rate_limits, tenant, rules.SESSIONS, key, settings.visitor_sessions_per_hour, rules.HOUR, now, "sessions")
