"""The number an agent gives at login (CB-6, PUT /tenants/{t}/agents/me/line) through Chalice's handlers, against
moto: a bad number is a 400 naming `line` and changes nothing; a good one is stored in E.164, answered as the
agent's `call_line`, and makes the agent one the routing offers calls to; going Offline forgets it."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.model import Role
from chalicelib.domain.routing import Channel, routing_view
from tests.integration.test_routing_admin import agent_id_of, call, http, make_user  # noqa: F401 - the fixture
from tests.integration.test_slice_handlers import login, make_agent


def _asked_at_login(http: Any, tenant: str) -> tuple[str, str]:  # noqa: F811
    """An agent who takes calls and is asked for their number at each login: (their token, their id)."""
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent = login(http, make_agent(tenant))
    agent_id = agent_id_of(http, tenant, agent)
    changed = call(http, "put", f"/tenants/{tenant}/agents/{agent_id}/settings", admin,
                   {"takes_calls": True, "ask_line_at_login": True})
    assert changed.status_code == 200, changed.body
    return agent, agent_id


def _call_capacity(tenant: str, agent_id: str) -> int:
    stored = bootstrap.container().deps.agents.get(tenant, agent_id)
    assert stored is not None
    return routing_view(stored).capacity[Channel.CALL]


@pytest.mark.parametrize("line", ["06 12 34 56 78", "+33 8 99 12 34 56", "call me", 33612345678],
                         ids=["no-country-code", "premium-rate", "letters", "not-text"])
def test_a_bad_line_is_refused_naming_line_and_nothing_changes(http: Any, tenant: str, line: Any) -> None:  # noqa: F811
    agent, agent_id = _asked_at_login(http, tenant)

    refused = call(http, "put", f"/tenants/{tenant}/agents/me/line", agent, {"line": line})

    assert (refused.status_code, refused.json_body["code"], refused.json_body["field"]) == (
        400, "invalid_field", "line")
    assert call(http, "get", f"/tenants/{tenant}/me", agent).json_body["call_line"] == ""
    assert _call_capacity(tenant, agent_id) == 0


def test_a_good_line_is_stored_and_the_routing_then_offers_calls(http: Any, tenant: str) -> None:  # noqa: F811
    agent, agent_id = _asked_at_login(http, tenant)
    assert _call_capacity(tenant, agent_id) == 0  # takes calls, but no phone to ring yet

    answer = call(http, "put", f"/tenants/{tenant}/agents/me/line", agent, {"line": "+33 6 12 34 56 78"})

    assert answer.status_code == 200, answer.body
    assert answer.json_body["agent"]["call_line"] == "+33612345678"
    assert answer.json_body["agent"]["own_line"] == ""  # the admin's setting is not touched
    assert call(http, "get", f"/tenants/{tenant}/me", agent).json_body["call_line"] == "+33612345678"
    assert _call_capacity(tenant, agent_id) == 1

    call(http, "put", f"/tenants/{tenant}/agents/me/status", agent, {"status": "offline"})  # Log out
    assert call(http, "get", f"/tenants/{tenant}/me", agent).json_body["call_line"] == ""  # the next login asks
    assert _call_capacity(tenant, agent_id) == 0


def test_an_empty_line_forgets_it_and_visitors_have_no_line(http: Any, tenant: str) -> None:  # noqa: F811
    agent, agent_id = _asked_at_login(http, tenant)
    call(http, "put", f"/tenants/{tenant}/agents/me/line", agent, {"line": "+33612345678"})

    forgotten = call(http, "put", f"/tenants/{tenant}/agents/me/line", agent, {"line": ""})

    assert (forgotten.status_code, forgotten.json_body["agent"]["call_line"]) == (200, "")
    assert _call_capacity(tenant, agent_id) == 0
    visitor = http.post(f"/tenants/{tenant}/visitors", headers={"Content-Type": "application/json"}, body="{}")
    refused = call(http, "put", f"/tenants/{tenant}/agents/me/line", visitor.json_body["visitor_token"],
                   {"line": "+33612345678"})
    assert (refused.status_code, refused.json_body["code"]) == (403, "forbidden")
