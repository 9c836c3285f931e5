"""Open desks follow the tenant's settings without a reload (issue 16): after an admin saves them, each desk of the
tenant's agents (the members of its groups, and the admin's own desks) gets a `settings.updated` frame with the
settings, as GET /settings answers them (docs/websocket.md). The widget reads its settings each time a page loads it,
so visitors get the change on their next page."""

from __future__ import annotations

from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.domain.settings import TenantSettings
from chalicelib.ports import Deps
from chalicelib.services import fanout


def desks_to_tell(deps: Deps, admin: Principal) -> list[Principal]:
    """The agents whose desks show the settings: every group's members, and the admin, each once."""
    tenant = deps.tenants.get(admin.tenant)
    groups = sorted(tenant.routing.groups) if tenant is not None else []
    ids = dict.fromkeys([admin.id, *(agent_id for group in groups
                                     for agent_id in deps.agents.members(admin.tenant, group))])
    return [Principal(admin.tenant, agent_id, PrincipalKind.AGENT) for agent_id in ids]


def settings_changed(deps: Deps, admin: Principal, settings: TenantSettings) -> None:
    """Push the new settings to the tenant's open desks; a gone connection never stops the others."""
    frame = {"type": "settings.updated", "settings": settings.to_json()}
    for agent in desks_to_tell(deps, admin):
        fanout.to_connections(deps, deps.connections.of(agent), frame)
