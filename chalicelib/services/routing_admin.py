"""Admins configure routing (groups, rules, skills, fairness) and each agent's routing settings (ROUTE-1 to 7).

Supervisors read the configuration; only admins change it. Every change is checked field by field first, so a
refused request changes nothing. A change that removes a group moves the conversations waiting in it to the group
that now takes them (`rehome`, docs/supervisor.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain import routing as policy
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.model import Agent, Conversation, Principal, PrincipalKind, Role
from chalicelib.domain.routing import Group, Medium, RoutingConfig, RoutingContext
from chalicelib.ports import Deps, Tenant, Timer
from chalicelib.services import audit, fanout, frames, queue_position, routing, tenants
from chalicelib.services.auth import require_role


def routing_config(deps: Deps, caller: Principal) -> RoutingConfig:
    _require_supervision(caller)
    return _tenant(deps, caller.tenant).routing


def replace_routing_config(deps: Deps, admin: Principal, body: object, ip: str = "") -> RoutingConfig:
    """The whole configuration at once (groups, rules, skills, fairness): what is left out is gone. Written on the
    revision read, with its audit entry ("routing.update"), in one transaction."""
    require_role(admin, Role.ADMIN)
    config = policy.config_from_json(body)
    tenant = tenants.latest(deps, admin.tenant)
    entry = audit.new_entry(deps, admin, ip=ip, action="routing.update", target="routing",
                            before=policy.config_to_json(tenant.routing), after=policy.config_to_json(config))
    deps.tenants.update(replace(tenant, routing=config), entry)
    groups = sorted(set(tenant.routing.groups) | set(config.groups))
    reindex(deps, admin.tenant, {"groups": groups})
    # Warm containers keep the old configuration up to their cache's age (5 s) and may index an agent the old way
    # meanwhile: a second pass after that age puts everyone where the new configuration says.
    now = deps.clock.now()
    deps.timers.arm(Timer(kind=REINDEX, tenant=admin.tenant, payload={"groups": groups}),
                    now + timedelta(seconds=REINDEX_AFTER_SECONDS), now)
    if set(tenant.routing.groups) - set(config.groups):
        # An offer made from a removed group's queue before the change puts its conversation back there when it is
        # rejected or times out: one more pass once every such offer has ended.
        later = now + timedelta(seconds=tenant.settings.acceptance_seconds + REINDEX_AFTER_SECONDS)
        deps.timers.arm(Timer(kind=REINDEX, tenant=admin.tenant, payload={"groups": groups, "pass": 2}), later, now)
    return config


REINDEX = "routing.reindex"
REINDEX_AFTER_SECONDS = 15
REHOME_PAGE = 200  # conversations read at a time from a removed group's queue


def reindex(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer and admin change: rewrite where the routing index lists every member of these groups (after the
    groups, skills, shards or fairness changed), then let those who now have room pull; and move what waits in a
    group the configuration no longer has to the group that now takes it. True if anyone or anything changed."""
    groups = [g for g in payload.get("groups", []) if isinstance(g, str)]
    changed = rehome(deps, tenant, groups) > 0
    members = {a for g in groups for a in deps.agents.members(tenant, g)}
    for agent_id in sorted(members):
        before = deps.agents.get(tenant, agent_id)
        after = deps.agents.reindex(tenant, agent_id)
        if before is not None and after is not None and before.index_keys != after.index_keys:
            changed = True
            routing.pull(deps, after)
    return changed


def rehome(deps: Deps, tenant: str, group_ids: list[str]) -> int:
    """The conversations waiting in those of `group_ids` that left the configuration go to the group that now takes
    them (`group_now_taking`), at their place by priority and arrival whatever its threshold, each in one
    conditional move; then the ready agents there pull. A repeated pass finds nothing left: it moves nothing.
    Returns how many moved."""
    config = tenants.routing_of(deps, tenant)
    moved = 0
    targets: set[str] = set()
    for group_id in group_ids:
        if group_id in config.groups:
            continue
        while True:
            batch = deps.conversations.waiting_in(tenant, group_id, REHOME_PAGE)
            progress = False
            for conversation in batch:
                target = group_now_taking(config, conversation)
                if target is None:
                    continue  # already moved (the list may lag)
                try:
                    there = deps.routing.move(conversation, target)
                except Conflict:
                    continue  # offered or ended meanwhile; an offer that ends puts it back here, for the next pass
                progress = True
                moved += 1
                targets.add(target.id)
                routing.serve_group(deps, there)
            if len(batch) < REHOME_PAGE or not progress:
                break
    for group_id in sorted(targets):
        queue_position.announce(deps, tenant, group_id)  # the newcomers learn their place, and so do the others
    return moved


def group_now_taking(config: RoutingConfig, conversation: Conversation) -> Group | None:
    """Where a conversation goes when its group left the configuration: the first configured group of the rule
    that took it, if that rule is still there; else of the first rule that matches it now (its channel, page and
    custom data; the queue its page asked for is not kept, so a rule that matches on `queue` does not); else the
    configuration's first group, so that nothing is stranded. None while its group is configured."""
    if conversation.queue in config.groups:
        return None
    same_rule = next((r.groups for r in config.rules if r.id == conversation.rule), ())
    context = RoutingContext(channel=Medium(conversation.medium).channel, custom=conversation.custom,
                             url=conversation.page.url if conversation.page else "")
    route = policy.route_for(config, context)
    now_matching = tuple(g.id for g in route.groups) if route else ()
    for group_id in (*same_rule, *now_matching, *config.groups):
        if group_id in config.groups:
            return config.groups[group_id]
    return None


def agent_settings(deps: Deps, caller: Principal, agent_id: str) -> Agent:
    _require_supervision(caller)
    agent = deps.agents.get(caller.tenant, agent_id)
    if agent is None:
        raise NotFound(f"no agent '{agent_id}'", field="agent_id")
    return agent


def change_agent_settings(deps: Deps, admin: Principal, agent_id: str, body: object, ip: str = "") -> Agent:
    """Capacity per channel, skills and levels, groups, "route to me first", multi-channel and the call settings
    (takes calls, own line, auto-answer) for one agent.

    The agent's open desks get the change at once; an agent who now has room pulls what waits for them."""
    require_role(admin, Role.ADMIN)
    config = _tenant(deps, admin.tenant).routing
    settings = policy.agent_settings_from_json(body, config)
    current = deps.agents.get(admin.tenant, agent_id)
    if current is None:
        raise NotFound(f"no agent '{agent_id}'", field="agent_id")
    policy.check_ready_entries(policy.with_settings(current, settings), config)
    if settings.answer_calls is not None:
        from chalicelib.services import softphone  # the calls' modules: loaded when a call setting changes

        softphone.refuse_desk_in_acd_mode(deps, admin.tenant, settings.answer_calls)

    def entry(before: Agent, after: Agent) -> AuditEntry:  # in the agent's own transaction: before is as written on
        return audit.new_entry(deps, admin, ip=ip, action="agent.settings", target=f"agent:{agent_id}",
                               before=frames.agent(before), after=frames.agent(after))

    agent = deps.agents.change_settings(admin.tenant, agent_id, settings, audit=entry)
    if routing.pull(deps, agent):
        agent = deps.agents.get(admin.tenant, agent_id) or agent
    who = Principal(tenant=admin.tenant, id=agent_id, kind=PrincipalKind.AGENT)
    fanout.to_connections(deps, deps.connections.of(who), {"type": "agent.status", "agent": frames.agent(agent)})
    return agent


def _require_supervision(caller: Principal) -> None:
    if not caller.is_agent or not ({Role.SUPERVISOR, Role.ADMIN} & caller.roles):
        raise Forbidden("this requires the supervisor or admin role")


def _tenant(deps: Deps, tenant_id: str) -> Tenant:
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    return tenant
