"""Admins configure routing (groups, rules, skills, fairness) and each agent's routing settings (ROUTE-1 to 7).

Supervisors read the configuration; only admins change it. Every change is checked field by field first, so a
refused request changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.domain import routing as policy
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.domain.routing import RoutingConfig
from chalicelib.ports import Deps, Tenant, Timer
from chalicelib.services import fanout, frames, routing
from chalicelib.services.auth import require_role


def routing_config(deps: Deps, caller: Principal) -> RoutingConfig:
    _require_supervision(caller)
    return _tenant(deps, caller.tenant).routing


def replace_routing_config(deps: Deps, admin: Principal, body: object) -> RoutingConfig:
    """The whole configuration at once (groups, rules, skills, fairness): what is left out is gone."""
    require_role(admin, Role.ADMIN)
    config = policy.config_from_json(body)
    tenant = _tenant(deps, admin.tenant)
    deps.tenants.put(replace(tenant, routing=config))
    groups = sorted(set(tenant.routing.groups) | set(config.groups))
    reindex(deps, admin.tenant, {"groups": groups})
    # Warm containers keep the old configuration up to their cache's age (5 s) and may index an agent the old way
    # meanwhile: a second pass after that age puts everyone where the new configuration says.
    now = deps.clock.now()
    deps.timers.arm(Timer(kind=REINDEX, tenant=admin.tenant, payload={"groups": groups}),
                    now + timedelta(seconds=REINDEX_AFTER_SECONDS), now)
    return config


REINDEX = "routing.reindex"
REINDEX_AFTER_SECONDS = 15


def reindex(deps: Deps, tenant: str, payload: dict[str, Any]) -> bool:
    """Timer and admin change: rewrite where the routing index lists every member of these groups (after the
    groups, skills, shards or fairness changed), then let those who now have room pull. True if anyone changed."""
    changed = False
    members = {a for g in payload.get("groups", []) if isinstance(g, str) for a in deps.agents.members(tenant, g)}
    for agent_id in sorted(members):
        before = deps.agents.get(tenant, agent_id)
        after = deps.agents.reindex(tenant, agent_id)
        if before is not None and after is not None and before.index_keys != after.index_keys:
            changed = True
            routing.pull(deps, after)
    return changed


def agent_settings(deps: Deps, caller: Principal, agent_id: str) -> Agent:
    _require_supervision(caller)
    agent = deps.agents.get(caller.tenant, agent_id)
    if agent is None:
        raise NotFound(f"no agent '{agent_id}'", field="agent_id")
    return agent


def change_agent_settings(deps: Deps, admin: Principal, agent_id: str, body: object) -> Agent:
    """Capacity per channel, skills and levels, groups, "route to me first" and multi-channel for one agent.

    The agent's open desks get the change at once; an agent who now has room pulls what waits for them."""
    require_role(admin, Role.ADMIN)
    config = _tenant(deps, admin.tenant).routing
    settings = policy.agent_settings_from_json(body, config)
    current = deps.agents.get(admin.tenant, agent_id)
    if current is None:
        raise NotFound(f"no agent '{agent_id}'", field="agent_id")
    policy.check_ready_entries(policy.with_settings(current, settings), config)
    agent = deps.agents.change_settings(admin.tenant, agent_id, settings)
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
