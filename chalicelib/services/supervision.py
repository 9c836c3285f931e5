"""What supervisors see of routing: each waiting conversation with its rule and group, and why a stuck one is not
distributed (ASYNC-19). A report may read a group's members; a routing decision never does."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.model import Conversation, Principal, Role
from chalicelib.domain.routing import (
    Group,
    Medium,
    StuckReason,
    conversation_need,
    routing_view,
    why_stuck,
)
from chalicelib.ports import Deps
from chalicelib.services import frames

REPORT_LIMIT = 200  # waiting conversations listed per group
STUCK_TEXT = {
    StuckReason.NO_AGENT_ONLINE: "No eligible agent online",
    StuckReason.ALL_AT_CAPACITY: "All eligible agents are at capacity",
    StuckReason.SKILL_MISSING: "No agent has the required skill level",
}
#: A conversation offered and refused (or let run out) this many times is shown stuck though agents are there.
DECLINED_STUCK = 3


def waiting_report(deps: Deps, caller: Principal) -> dict[str, Any]:
    """Every group's waiting conversations, oldest first, groups in configuration order."""
    if not caller.is_agent or not ({Role.SUPERVISOR, Role.ADMIN} & caller.roles):
        raise Forbidden("this requires the supervisor or admin role")
    tenant = deps.tenants.get(caller.tenant)
    if tenant is None:
        raise NotFound(f"unknown tenant '{caller.tenant}'", field="tenant")
    config = tenant.routing
    groups = list(config.groups.values())
    counts = deps.routing.counts(caller.tenant, groups)
    rules = {r.id: r for r in config.rules}
    rows: list[dict[str, Any]] = []
    for group in groups:
        if not counts[group.id].waiting:
            continue
        stuck_by_kind: dict[tuple[str, tuple[str, int] | None], StuckReason | None] = {}
        for position, c in enumerate(deps.conversations.waiting_in(caller.tenant, group.id, REPORT_LIMIT), 1):
            kind = (c.medium, c.skill)
            if kind not in stuck_by_kind:
                stuck_by_kind[kind] = _why(deps, caller.tenant, group, c)
            reason = stuck_by_kind[kind]
            rule = rules.get(c.rule)
            rows.append({
                "conversation_id": c.id,
                "group": group.id,
                "group_name": group.name or group.id,
                "rule": c.rule,
                "rule_name": rule.name if rule else c.rule,
                "medium": c.medium,
                "priority": c.priority,
                "skill": {"skill": c.skill[0], "min_level": c.skill[1]} if c.skill else None,
                "waiting_since": frames.iso(c.created_at),
                "position": position,
                "visitor_name": c.visitor.name,
                "page_url": c.page.url if c.page else None,
                "declined": c.declines,
                "stuck": stuck_of(reason, c.declines),
            })
    rows, truncated = frames.rows_that_fit(rows)
    return {
        "waiting": rows,
        "truncated": truncated,
        "groups": [{"id": g.id, "name": g.name or g.id, "threshold": g.threshold, "waiting": counts[g.id].waiting}
                   for g in groups],
    }


def stuck_of(reason: StuckReason | None, declines: int) -> dict[str, str] | None:
    """Why it waits: no agent can take it now (said with how often it was declined, from DECLINED_STUCK times),
    or one could but it was declined DECLINED_STUCK times or more."""
    declined = f"offered and declined {declines} times" if declines >= DECLINED_STUCK else ""
    if reason is not None:
        return {"reason": reason.value, "text": STUCK_TEXT[reason] + (f" ({declined})" if declined else "")}
    if declined:
        return {"reason": "offers_declined", "text": declined.capitalize()}
    return None


def _why(deps: Deps, tenant: str, group: Group, conversation: Conversation) -> StuckReason | None:
    """None when an agent of the group could take it now (it is about to be offered); else the reason."""
    channel = Medium(conversation.medium).channel
    need = conversation_need(conversation)
    if deps.routing.ready(tenant, group, channel, need, 1):
        return None
    members = deps.agents.get_many(tenant, deps.agents.members(tenant, group.id))
    return why_stuck([routing_view(a) for a in members], group.id, channel, need)
