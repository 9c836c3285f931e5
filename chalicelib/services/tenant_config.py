"""Export and import of a tenant's configuration (domain/tenant_config.py), for the operator's CLI.

Import checks the whole document before it writes anything, then writes only what differs, through the same
services as the console (the settings, the routing with its re-indexing, each agent's settings with their push to
the agent's desks), as the operator: importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.domain import routing as policy
from chalicelib.domain import tenant_config as documents
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.model import ANSWER_ON_DESK, Agent, Principal, PrincipalKind, Role
from chalicelib.domain.routing.config import config_to_json
from chalicelib.ports import Deps, Tenant
from chalicelib.services import routing_admin, tenants
from chalicelib.services.softphone import ACD_MODE_REFUSAL

OPERATOR_ID = "operator"


def operator(tenant: str) -> Principal:
    """Who the CLI's changes are made by (the audit log names them): an admin of the tenant that is no user."""
    return Principal(tenant=tenant, id=OPERATOR_ID, kind=PrincipalKind.AGENT, name="guichet CLI",
                     roles=frozenset({Role.ADMIN}))


def export(deps: Deps, tenant_id: str, users: Mapping[str, str]) -> dict[str, Any]:
    """The tenant's document; `users` maps the tenant's usernames to their agent ids (users without an agent are
    left out)."""
    tenant = _tenant(deps, tenant_id)
    agents = {username: agent for username, agent_id in users.items()
              if (agent := deps.agents.get(tenant_id, agent_id)) is not None}
    return documents.document(tenant_id, tenant.name, tenant.settings, tenant.routing, agents)


def import_(deps: Deps, tenant_id: str, doc: object, users: Mapping[str, str]) -> list[str]:
    """Apply a document to the tenant; returns what changed (["settings", "routing", "agents.alice"], empty when
    nothing did). InvalidInput naming the document's field, and nothing written, when any part is invalid."""
    tenant = _tenant(deps, tenant_id)
    config = documents.read(doc, set(users))
    agents: dict[str, Agent] = {}
    for username, (_, settings) in config.agents.items():
        current = deps.agents.get(tenant_id, users[username])
        if current is None:
            raise NotFound(f"user '{username}' has no agent in this tenant", field=f"agents.{username}")
        with documents._within(f"agents.{username}"):
            policy.check_ready_entries(policy.with_settings(current, settings), config.routing)
        if (settings.answer_calls == ANSWER_ON_DESK and config.settings.callback.acd.on
                and _differs(current, settings)):  # what change_agent_settings would refuse, half-way through
            raise Conflict(ACD_MODE_REFUSAL, field=f"agents.{username}.answer_calls")
        agents[username] = current
    _check_keypads(deps, tenant_id, config, users)
    admin = operator(tenant_id)
    changed: list[str] = []
    if config.name != tenant.name:
        deps.tenants.put(replace(tenant, name=config.name))
        changed.append("name")
    if config.settings.to_json() != tenant.settings.to_json():
        tenants.change_settings(deps, admin, config.settings.to_json())
        changed.append("settings")
    if config_to_json(config.routing) != config_to_json(tenant.routing):
        routing_admin.replace_routing_config(deps, admin, config_to_json(config.routing))
        changed.append("routing")
    for username, (raw, settings) in config.agents.items():
        current = agents[username]
        if _differs(current, settings):
            routing_admin.change_agent_settings(deps, admin, current.id, raw)
            changed.append(f"agents.{username}")
    return changed


def _check_keypads(deps: Deps, tenant_id: str, config: documents.TenantConfig, users: Mapping[str, str]) -> None:
    """A keypad id the document gives must not be another agent's, one the document leaves as it is (the agents'
    repository would refuse it half-way through)."""
    kept = {}
    for username, agent_id in users.items():
        agent = None if username in config.agents else deps.agents.get(tenant_id, agent_id)
        if agent is not None and agent.keypad_id:
            kept[agent.keypad_id] = username
    for username, (_, settings) in config.agents.items():
        if settings.keypad_id and settings.keypad_id in kept:
            raise Conflict(f"{kept[settings.keypad_id]}'s keypad id, who is not in the file",
                           field=f"agents.{username}.keypad_id")


def _differs(agent: Agent, settings: policy.AgentSettings) -> bool:
    return documents.agent_to_json(policy.with_settings(agent, settings)) != documents.agent_to_json(agent)


def _tenant(deps: Deps, tenant_id: str) -> Tenant:
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    return tenant
