"""Setting up a tenant, its settings and its agents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from chalicelib.domain import origins
from chalicelib.domain import settings as rules
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.model import DEFAULT_CHAT_CAPACITY, DEFAULT_QUEUE, Agent, Principal, Role
from chalicelib.domain.routing import RoutingConfig
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import Deps, IdentityProvider, Tenant, User
from chalicelib.services import audit, settings_push
from chalicelib.services.auth import require_role


def create_tenant(deps: Deps, tenant_id: str, name: str, settings: TenantSettings | None = None) -> Tenant:
    tenant = Tenant(id=tenant_id, name=name, settings=settings or TenantSettings(),
                    identity_secret=deps.ids.new_id() + deps.ids.new_id())
    deps.tenants.put(tenant)
    return tenant


def identity_secret(deps: Deps, admin: Principal, ip: str = "") -> str:
    """What the brand's server signs its customers' identity with (admins only). Each read is audited, without the
    value."""
    require_role(admin, Role.ADMIN)
    tenant = deps.tenants.get(admin.tenant)
    if tenant is None:
        raise NotFound(f"unknown tenant '{admin.tenant}'", field="tenant")
    if deps.audit is not None:
        audit.record_read(deps, admin, ip=ip, action="identity_secret.read", target="identity_secret")
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


def change_settings(deps: Deps, admin: Principal, changes: object, ip: str = "") -> TenantSettings:
    """An admin changes some settings; the others keep their values. Written on the revision read, with its audit
    entry ("settings.update": the fields that changed), in one transaction."""
    require_role(admin, Role.ADMIN)
    tenant = latest(deps, admin.tenant)
    changed = rules.updated(tenant.settings, changes)
    entry = audit.new_entry(deps, admin, ip=ip, action="settings.update", target="settings",
                            before=tenant.settings.to_json(), after=changed.to_json())
    deps.tenants.update(replace(tenant, settings=changed), entry)
    settings_push.settings_changed(deps, admin, changed)  # open desks follow without a reload
    return changed


def latest(deps: Deps, tenant_id: str) -> Tenant:
    """The tenant as stored now (not the cache): an admin's change is written on this revision."""
    tenant = deps.tenants.read(tenant_id)
    if tenant is None:
        raise NotFound(f"unknown tenant '{tenant_id}'", field="tenant")
    return tenant


def create_agent(
    deps: Deps,
    identity: IdentityProvider,
    *,
    tenant: str,
    username: str,
    password: str | None,
    name: str,
    roles: Sequence[Role] = (Role.AGENT,),
    capacity: int = DEFAULT_CHAT_CAPACITY,
    queues: Sequence[str] = (DEFAULT_QUEUE,),
    email: str = "",
) -> Agent:
    """A Cognito user and its agent. `password` None: the user is invited by email (a temporary password only they
    see); `email` is where. Conflict (field `username`) when the user exists. The user also gets their entry in the
    user directory (the console's Users page) when the deployment keeps one."""
    agent_id = identity.create_user(tenant, username, password, name, [r.value for r in roles], email)
    agent = Agent(tenant=tenant, id=agent_id, name=name, capacity=capacity, queues=tuple(queues))
    deps.agents.put(agent)
    add_to_directory(deps, tenant=tenant, user_id=agent_id, username=username, name=name, roles=roles, email=email,
                     invited=password is None)
    return agent


def add_to_directory(deps: Deps, *, tenant: str, user_id: str, username: str, name: str, roles: Sequence[Role],
                     email: str = "", invited: bool = False, status: str = "", active: bool = True) -> bool:
    """The user directory's item of a user made outside the console: "confirmed" with a password of their own,
    "invited" with a temporary one (or the `status` given); counted among the active admins when an active admin.
    Idempotent: False when the item exists already (the count is changed only with a new item, in its transaction),
    or when the deployment keeps no directory."""
    if deps.users is None:
        return False
    address = email or (username if "@" in username else "")
    try:
        deps.users.create(User(tenant=tenant, id=user_id, username=username, email=address, name=name,
                               roles=tuple(sorted(r.value for r in roles)), active=active,
                               status=status or ("invited" if invited else "confirmed"),
                               created_at=deps.clock.now()), None)
    except Conflict:
        return False
    return True
