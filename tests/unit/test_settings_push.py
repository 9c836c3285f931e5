"""Open desks follow the tenant's settings (issue 16, chalicelib/services/settings_push.py): a saved change reaches
every open desk of the tenant's agents, the admin's own included, once per connection, as a `settings.updated` frame
holding the settings GET /settings answers; a refused change and another tenant's agents get nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.services import tenants
from tests.unit.fakes import make_deps

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def desk(tenant: str, agent_id: str) -> Principal:
    return Principal(tenant, agent_id, PrincipalKind.AGENT)


def staff() -> tuple[Any, Principal]:
    deps = make_deps("demo", "other")
    for tenant, agent_id in [("demo", "alice"), ("demo", "bob"), ("other", "olga")]:
        deps.agents.put(Agent(tenant=tenant, id=agent_id, name=agent_id.title()))
    deps.connections.add(desk("demo", "alice"), "c-alice-1", NOW)
    deps.connections.add(desk("demo", "alice"), "c-alice-2", NOW)
    deps.connections.add(desk("demo", "bob"), "c-bob", NOW)
    deps.connections.add(desk("demo", "ada"), "c-ada", NOW)  # the admin, in no group
    deps.connections.add(desk("other", "olga"), "c-olga", NOW)
    admin = Principal("demo", "ada", PrincipalKind.AGENT, "Ada", frozenset({Role.AGENT, Role.ADMIN}))
    return deps, admin


def test_a_saved_change_reaches_every_open_desk_of_the_tenant_once() -> None:
    deps, admin = staff()
    deps.push.gone.add("c-alice-1")  # a gone connection does not stop the others
    saved = tenants.change_settings(deps, admin, {"accent_colour": "#7a1f5c", "nps_enabled": True})
    frames = {c: f for c, f in deps.push.sent if f["type"] == "settings.updated"}
    assert sorted(frames) == ["c-ada", "c-alice-2", "c-bob"]
    assert [c for c, _ in deps.push.sent].count("c-bob") == 1
    assert frames["c-bob"]["settings"] == saved.to_json()
    assert frames["c-bob"]["settings"]["accent_colour"] == "#7a1f5c"
    assert frames["c-bob"]["settings"]["nps_enabled"] is True


def test_a_refused_change_pushes_nothing() -> None:
    deps, admin = staff()
    with pytest.raises(InvalidInput):
        tenants.change_settings(deps, admin, {"accent_colour": "blue"})
    supervisor = Principal("demo", "sam", PrincipalKind.AGENT, "Sam", frozenset({Role.AGENT, Role.SUPERVISOR}))
    with pytest.raises(Forbidden):
        tenants.change_settings(deps, supervisor, {"accent_colour": "#000000"})
    assert deps.push.sent == []
