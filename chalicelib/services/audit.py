"""The audit log's use cases: an entry for each admin change (written by the change's own transaction, see
docs/admin.md), and `GET /audit` for admins and supervisors."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import audit as rules
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.model import Principal, Role
from chalicelib.ports import AuditLog, Deps
from chalicelib.services.auth import require_role


def new_entry(deps: Deps, actor: Principal, *, ip: str, action: str, target: str, before: Any = None,
              after: Any = None) -> AuditEntry:
    """What `actor` did, from `ip`, to `target`: only what changed between `before` and `after` is kept."""
    return rules.entry(actor, ip=ip, action=action, target=target, before=before, after=after,
                       entry_id=deps.ids.new_id(), at=deps.clock.now())


def record_read(deps: Deps, actor: Principal, *, ip: str, action: str, target: str) -> None:
    """A read worth knowing about (a secret's): an entry of its own, without the value."""
    _log(deps).record(new_entry(deps, actor, ip=ip, action=action, target=target))


def entries(deps: Deps, caller: Principal, params: dict[str, str] | None) -> dict[str, Any]:
    """Admins and supervisors: a page of entries, newest first, filtered by days, actor and action."""
    require_role(caller, Role.ADMIN, Role.SUPERVISOR)
    query = rules.query_from(params)
    found, last = _log(deps).entries(caller.tenant, query)
    return {"entries": [e.to_json() for e in found], "next": rules.encode_cursor(last) if last else None}


def _log(deps: Deps) -> AuditLog:
    if deps.audit is None:
        raise Unavailable("this deployment keeps no audit log")
    return deps.audit
