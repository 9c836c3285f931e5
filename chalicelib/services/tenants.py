"""Setting up a tenant, its settings and its agents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from chalicelib.domain import origins
from chalicelib.domain import settings as rules
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.model import DEFAULT_CHAT_CAPACITY, DEFAULT_QUEUE, Agent, Principal, Role
from chalicelib.domain.routing import RoutingConfig
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import Deps, IdentityProvider, Tenant
from chalicelib.services import settings_push
from chalicelib.services.auth import require_role


def create_tenant(deps: Deps, tenant_id: str, name: str, settings: TenantSettings | None = None) -> Tenant:
    tenant = Tenant(id=tenant_id, name=name, settings=settings or TenantSettings(),
                    identity_secret=deps.ids.new_id() + deps.ids.new_id())
    deps.tenants.put(tenant)
    return tenant


def identity_secret(deps: Deps, admin: Principal) -> str:
    """What the brand's server signs its customers' identity with (admins only)."""
    require_role(admin, Role.ADMIN)
    tenant = deps.tenants.get(admin.tenant)
    if tenant is None:
        raise NotFound(f"unknown tenant '{admin.tenant}'", field="tenant")
    return tenant.identity_secret


def routing_of(deps: Deps, tenant_id: str) -> RoutingConfig:
    """The tenant's groups, rules, skills and fairness (the default configuration for an unknown tenant)."""
    tenant = deps.tenants.get(tenant_id)
    return tenant.routing if tenant is not None else RoutingConfig()


def settings_of(deps: Deps, tenant_id: str) -> TenantSettings:
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    return tenant.settings


def widget_settings(deps: Deps, tenant_id: str) -> dict[str, Any]:
    """GET /widget: the public part of the settings, and the brand's name (the end screen's NPS question names it)."""
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    return {**tenant.settings.public(), "brand": tenant.name}


def check_origin(deps: Deps, tenant_id: str, origin: str | None, caller: Principal | None = None) -> None:
    """A visitor's request (or the widget's public one, `caller` None) comes from one of the tenant's `site_origins`
    (its `Origin` header) when it lists some; Forbidden (field `origin`) otherwise. Agents are not checked: the desk
    is not on the brand's site. Reads the tenant through the repository's cache."""
    if caller is not None and caller.is_agent:
        return
    tenant = deps.tenants.get(tenant_id)
    if tenant is not None and not origins.origin_allowed(origin, tenant.settings):
        raise Forbidden("this page's origin may not use this tenant's widget", field="origin")


def change_settings(deps: Deps, admin: Principal, changes: object) -> TenantSettings:
    """An admin changes some settings; the others keep their values."""
    require_role(admin, Role.ADMIN)
    tenant = deps.tenants.get(admin.tenant)
    if tenant is None:
        raise NotFound(f"unknown tenant '{admin.tenant}'", field="tenant")
    changed = rules.updated(tenant.settings, changes)
    deps.tenants.put(replace(tenant, settings=changed))
    settings_push.settings_changed(deps, admin, changed)  # open desks follow without a reload
    return changed


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
