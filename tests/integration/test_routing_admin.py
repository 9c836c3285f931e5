"""The routing admin API through Chalice's handlers, against moto (Cognito tokens, DynamoDB): who may read and
change the configuration and an agent's routing settings, and how a bad field is refused with nothing changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.model import Role
from chalicelib.services import tenants
from tests.integration.conftest import ROOT
from tests.integration.test_slice_handlers import PASSWORD, login, make_agent

CONFIG = {
    "fairness": "least_loaded",
    "skills": ["billing", "french"],
    "groups": [{"id": "level1", "name": "Level 1", "threshold": 100},
               {"id": "level2", "name": "Level 2", "threshold": 40, "shards": 2}],
    "rules": [{"id": "billing", "groups": ["level1", "level2"], "mode": "cascade",
               "skill": {"skill": "billing", "min_level": 3}, "match": {"url_contains": "/billing"}},
              {"id": "rest", "groups": ["level1"], "mode": "equal"}],
}


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def make_user(tenant: str, *roles: Role) -> str:
    username = f"u-{uuid.uuid4().hex[:8]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username=username, password=PASSWORD, name="Admin",
                         roles=list(roles))
    return username


def call(http: Any, method: str, path: str, token: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if body is None:
        return getattr(http, method)(path, headers=headers)
    return getattr(http, method)(path, headers=headers, body=json.dumps(body))


def agent_id_of(http: Any, tenant: str, token: str) -> str:
    return str(call(http, "get", f"/tenants/{tenant}/me", token).json_body["id"])


def test_an_admin_replaces_the_routing_and_a_supervisor_reads_it(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    supervisor = login(http, make_user(tenant, Role.AGENT, Role.SUPERVISOR))
    agent = login(http, make_agent(tenant))

    put = call(http, "put", f"/tenants/{tenant}/routing", admin, CONFIG)
    read = call(http, "get", f"/tenants/{tenant}/routing", supervisor)

    assert put.status_code == 200, put.body
    assert read.status_code == 200 and read.json_body == put.json_body
    assert read.json_body["fairness"] == "least_loaded"
    assert [g["threshold"] for g in read.json_body["groups"]] == [100, 40]
    assert read.json_body["rules"][0]["skill"] == {"skill": "billing", "min_level": 3}
    assert call(http, "get", f"/tenants/{tenant}/routing", agent).status_code == 403
    assert call(http, "put", f"/tenants/{tenant}/routing", supervisor, CONFIG).status_code == 403


@pytest.mark.parametrize(("change", "field"), [
    (lambda c: c["groups"][1].update(threshold=-1), "groups[1].threshold"),
    (lambda c: c["rules"][0]["groups"].append("nowhere"), "rules[0].groups[2]"),
    (lambda c: c["rules"][0].update(skill={"skill": "latin", "min_level": 2}), "rules[0].skill.skill"),
    (lambda c: c["rules"][1].update(mode="random"), "rules[1].mode"),
    (lambda c: c.update(fairness="seniority"), "fairness"),
], ids=["threshold", "unknown-group", "unknown-skill", "mode", "fairness"])
def test_a_bad_field_is_refused_by_name_and_nothing_changes(http: Any, tenant: str, change: Any, field: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, CONFIG).status_code == 200
    bad = json.loads(json.dumps(CONFIG))
    change(bad)

    refused = call(http, "put", f"/tenants/{tenant}/routing", admin, bad)

    assert refused.status_code == 400
    assert refused.json_body["field"] == field
    assert call(http, "get", f"/tenants/{tenant}/routing", admin).json_body["groups"][1]["threshold"] == 40


def test_an_admin_sets_an_agents_capacity_skills_groups_and_flags(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent = login(http, make_agent(tenant))
    agent_id = agent_id_of(http, tenant, agent)
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, CONFIG).status_code == 200
    path = f"/tenants/{tenant}/agents/{agent_id}/settings"

    changed = call(http, "put", path, admin, {"capacity": {"chat": 3, "call": 1}, "skills": {"billing": 4},
                                              "groups": ["level1", "level2"], "route_first": True})
    partial = call(http, "put", path, admin, {"multi_channel": True})
    read = call(http, "get", path, admin)

    assert changed.status_code == 200, changed.body
    assert partial.status_code == 200
    body = read.json_body
    assert body["capacity"] == 3 and body["capacities"] == {"chat": 3, "call": 1, "email": 0}  # email: opt-in
    assert body["skills"] == {"billing": 4} and body["queues"] == ["level1", "level2"]
    assert body["route_first"] is True and body["multi_channel"] is True  # the partial change kept the rest
    assert call(http, "get", f"/tenants/{tenant}/me", agent).json_body["capacity"] == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"capacity": {"chat": 51}}, "capacity.chat"),
    ({"capacity": {"fax": 1}}, "capacity.fax"),
    ({"skills": {"latin": 3}}, "skills.latin"),
    ({"skills": {"billing": 6}}, "skills.billing"),
    ({"groups": ["level1", "nowhere"]}, "groups[1]"),
    ({"route_first": "yes"}, "route_first"),
    ({"colour": "red"}, "colour"),
    # Good settings sent with a bad one (as the console's Save sends several): none of them is kept.
    ({"groups": ["level1"], "skills": {"billing": 2}, "capacity": {"chat": 4}, "keypad_id": "12a"}, "keypad_id"),
    ({"route_first": True, "capacity": {"chat": 4}, "own_line": "+1 900 555 0100"}, "own_line"),
], ids=["capacity", "channel", "unknown-skill", "level", "unknown-group", "flag", "unknown-field", "mixed-keypad",
        "mixed-line"])
def test_bad_agent_settings_are_refused_by_field_and_change_nothing(http: Any, tenant: str, body: Any,
                                                                    field: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent_id = agent_id_of(http, tenant, login(http, make_agent(tenant)))
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, CONFIG).status_code == 200
    path = f"/tenants/{tenant}/agents/{agent_id}/settings"
    before = call(http, "get", path, admin).json_body

    refused = call(http, "put", path, admin, body)

    assert (refused.status_code, refused.json_body["field"]) == (400, field)
    assert call(http, "get", path, admin).json_body == before


def test_only_admins_change_agent_settings_and_unknown_agents_are_404(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent = login(http, make_agent(tenant))
    agent_id = agent_id_of(http, tenant, agent)

    assert call(http, "put", f"/tenants/{tenant}/agents/{agent_id}/settings", agent,
                {"capacity": {"chat": 50}}).status_code == 403
    missing = call(http, "put", f"/tenants/{tenant}/agents/nobody/settings", admin, {"capacity": {"chat": 2}})
    assert (missing.status_code, missing.json_body["field"]) == (404, "agent_id")


def test_settings_listing_an_agent_in_more_ready_lists_than_one_transaction_moves_are_refused(
        http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    agent_id = agent_id_of(http, tenant, login(http, make_agent(tenant)))
    wide = {"skills": ["s1", "s2", "s3", "s4"], "groups": [{"id": f"g{n}"} for n in range(8)],
            "rules": [{"id": "all", "groups": ["g0"]}]}
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, wide).status_code == 200
    path = f"/tenants/{tenant}/agents/{agent_id}/settings"
    fits = {"groups": [f"g{n}" for n in range(4)], "skills": {"s1": 2, "s2": 3, "s3": 1, "s4": 5}}  # 4 x 2 x 5 = 40
    assert call(http, "put", path, admin, fits).status_code == 200
    before = call(http, "get", path, admin).json_body

    too_many = call(http, "put", path, admin, {"groups": [f"g{n}" for n in range(5)]})  # 5 x 2 x 5 = 50

    assert (too_many.status_code, too_many.json_body["field"]) == (400, "groups")
    assert "50 ready lists" in too_many.json_body["message"]
    assert call(http, "get", path, admin).json_body == before


def test_availability_is_public_and_names_a_bad_parameter(http: Any, tenant: str) -> None:
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, CONFIG).status_code == 200
    base = f"/tenants/{tenant}/availability"

    open_to_all = http.get(f"{base}?url=https%3A%2F%2Fshop.example%2Fbilling&custom.plan=gold")
    assert (open_to_all.status_code, open_to_all.json_body) == (
        200, {"available": True, "reason": None, "asynchronous": True})
    for query, field in [("skill=latin", "skill"), ("skill=billing&level=9", "level"), (f"queue={'q' * 41}", "queue"),
                         (f"url={'u' * 2049}", "url")]:
        refused = http.get(f"{base}?{query}")
        assert (refused.status_code, refused.json_body["code"], refused.json_body["field"]) == \
            (400, "invalid_field", field), query
