"""The audit log's rules: an entry records who changed what in a tenant's administration, when and from where.

An entry keeps only what changed (`diff`): the fields whose values differ, before and after, nested settings as
nested objects. Secrets and passwords never enter it: `diff` drops every key named in `SECRET_KEYS`, at any depth.
Entries are append-only: written in the same transaction as the change they record, never updated or deleted.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.model import Principal

#: Keys never kept in an entry, whatever their depth (their values are secrets).
SECRET_KEYS = frozenset({"password", "temporary_password", "new_password", "secret", "identity_secret", "token",
                         "id_token", "session"})
#: Entries per page of `GET /audit` (its `next` cursor gives the following page).
PAGE_SIZE = 50
MAX_FILTER_CHARS = 128


@dataclass(frozen=True)
class AuditEntry:
    tenant: str
    id: str
    at: datetime
    actor_id: str
    actor_name: str
    ip: str
    action: str
    target: str
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "actor": {"id": self.actor_id, "name": self.actor_name}, "ip": self.ip, "action": self.action,
                "target": self.target, "before": self.before, "after": self.after}


def entry(actor: Principal, *, ip: str, action: str, target: str, before: Any, after: Any, entry_id: str,
          at: datetime) -> AuditEntry:
    """An entry for `actor`'s change from `before` to `after` (objects: only what differs is kept)."""
    was, now = diff(before, after)
    return AuditEntry(tenant=actor.tenant, id=entry_id, at=at, actor_id=actor.id, actor_name=actor.name, ip=ip,
                      action=action, target=target, before=was, after=now)


def diff(before: Any, after: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose values differ between two objects, as (before, after); a key absent on one side is absent
    from that side's half. Nested objects are compared key by key; lists and scalars as a whole. Secret keys are
    dropped."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    was: dict[str, Any] = {}
    now: dict[str, Any] = {}
    for key in sorted(set(old) | set(new)):
        if key in SECRET_KEYS:
            continue
        a, b = old.get(key), new.get(key)
        if a == b and (key in old) == (key in new):
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            inner_was, inner_now = diff(a, b)
            if inner_was or inner_now:
                was[key], now[key] = inner_was, inner_now
            continue
        if key in old:
            was[key] = _scrubbed(a)
        if key in new:
            now[key] = _scrubbed(b)
    return was, now


def _scrubbed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value


@dataclass(frozen=True)
class AuditQuery:
    """`GET /audit`'s filters: a range of days (UTC, both ends included), an actor id, an action, and where the
    previous page stopped (an opaque cursor: the last entry's sort key)."""

    start: datetime | None = None
    end: datetime | None = None
    actor: str = ""
    action: str = ""
    after_key: str = ""
    limit: int = PAGE_SIZE


def query_from(params: dict[str, str] | None) -> AuditQuery:
    """The query string's filters; a bad one is InvalidInput naming it."""
    params = params or {}
    for name in ("from", "to", "actor", "action", "cursor"):
        value = params.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > (MAX_FILTER_CHARS * 4)):
            raise InvalidInput(f"'{name}' is too long", field=name)
    start = _day(params.get("from"), "from")
    end = _day(params.get("to"), "to")
    if start and end and end < start:
        raise InvalidInput("'to' is before 'from'", field="to")
    actor = (params.get("actor") or "").strip()
    action = (params.get("action") or "").strip()
    for name, value in (("actor", actor), ("action", action)):
        if len(value) > MAX_FILTER_CHARS:
            raise InvalidInput(f"'{name}' is too long", field=name)
    if action and not all(part and part.replace("_", "").isalnum() for part in action.split(".")):
        raise InvalidInput("'action' is a dotted name like 'settings.update'", field="action")
    return AuditQuery(start=datetime.combine(start, time.min, UTC) if start else None,
                      end=datetime.combine(end, time.max, UTC) if end else None,
                      actor=actor, action=action, after_key=decode_cursor(params.get("cursor") or ""))


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"'{name}' must be a date like 2026-12-24", field=name) from exc


def encode_cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": sort_key}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    if not cursor:
        return ""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))["k"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput("this cursor is not one this API gave", field="cursor") from exc
    if not isinstance(key, str) or not key:
        raise InvalidInput("this cursor is not one this API gave", field="cursor")
    return key
