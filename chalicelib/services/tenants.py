"""Setting up a tenant and its agents (used by the local demo data and by operators' scripts)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.model import DEFAULT_CHAT_CAPACITY, DEFAULT_QUEUE, Agent, Role
from chalicelib.ports import Deps, IdentityProvider, Tenant


def create_tenant(deps: Deps, tenant_id: str, name: str) -> Tenant:
    tenant = Tenant(id=tenant_id, name=name)
    deps.tenants.put(tenant)
    return tenant


def create_agent(
    deps: Deps,
    identity: IdentityProvider,
    *,
    tenant: str,
    username: str,
    password: str,
    name: str,
    roles: Sequence[Role] = (Role.AGENT,),
    capacity: int = DEFAULT_CHAT_CAPACITY,
    queues: Sequence[str] = (DEFAULT_QUEUE,),
) -> Agent:
    agent_id = identity.create_user(tenant, username, password, name, [r.value for r in roles])
    agent = Agent(tenant=tenant, id=agent_id, name=name, capacity=capacity, queues=tuple(queues))
    deps.agents.put(agent)
    return agent
