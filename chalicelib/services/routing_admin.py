"""Admins configure routing (groups, rules, skills, fairness) and each agent's routing settings (ROUTE-1 to 7).

Supervisors read the configuration; only admins change it. Every change is checked field by field first, so a
refused request changes nothing."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain import routing as policy
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.domain.routing import RoutingConfig
from chalicelib.ports import Deps, Tenant
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
    return config


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
    settings = policy.agent_settings_from_json(body, _tenant(deps, admin.tenant).routing)
    if deps.agents.get(admin.tenant, agent_id) is None:
        raise NotFound(f"no agent '{agent_id}'", field="agent_id")
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
