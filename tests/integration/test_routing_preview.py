"""POST /tenants/{t}/routing/preview through Chalice's handlers, against moto: supervisors and admins may ask, agents
may not; a bad draft is refused like PUT /routing, naming the field; the preview counts the conversations really
waiting and writes nothing (configuration, conversations and queues as they were); the save then does what it said."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.model import Role
from chalicelib.domain.routing import Group
from tests.integration.test_routing_admin import call, http, make_user  # noqa: F401  (http is a fixture)
from tests.integration.test_routing_engine import configure, deps, start, stored
from tests.integration.test_slice_handlers import login, make_agent

GROUPS = [{"id": "sales", "name": "Sales", "threshold": 10}, {"id": "help", "name": "Help", "threshold": 10}]
RULES = [{"id": "shop", "groups": ["sales"], "match": {"url_contains": "/shop"}}, {"id": "rest", "groups": ["help"]}]
# Sales goes; what it held goes to Support, a new group; Help stays.
DRAFT = {"groups": [{"id": "help", "name": "Help", "threshold": 10}, {"id": "support", "name": "Support"}],
         "rules": [{"id": "shop", "groups": ["support"], "match": {"url_contains": "/shop"}},
                   {"id": "rest", "groups": ["help"]}]}


def waiting_in(tenant: str, group: str) -> list[str]:
    return [c.id for c in deps().conversations.waiting_in(tenant, group, 50)]


def test_supervisors_and_admins_see_where_the_waiting_conversations_would_go_and_nothing_is_written(
        http: Any, tenant: str) -> None:  # noqa: F811
    configure(tenant, GROUPS, RULES)
    shop = [start(tenant, f"v{n}", page={"url": f"https://brand.example/shop/{n}"}) for n in range(2)]
    faq = start(tenant, "v9", page={"url": "https://brand.example/faq"})
    admin = login(http, make_user(tenant, Role.AGENT, Role.ADMIN))
    supervisor = login(http, make_user(tenant, Role.AGENT, Role.SUPERVISOR))
    agent = login(http, make_agent(tenant))
    before = call(http, "get", f"/tenants/{tenant}/routing", admin).json_body
    path = f"/tenants/{tenant}/routing/preview"

    answers = [call(http, "post", path, who, DRAFT) for who in (admin, supervisor)]

    for answer in answers:
        assert answer.status_code == 200, answer.body
        assert answer.json_body["moving"] == 2 and answer.json_body["truncated"] is False
        assert [(r["conversation_id"], r["group"]["id"], r["after"]["id"]) for r in answer.json_body["waiting"]] == [
            (shop[0].id, "sales", "support"), (shop[1].id, "sales", "support"), (faq.id, "help", "help")]
        assert answer.json_body["summary"] == [
            "2 waiting conversations would move from Sales to Support (Support is a new group with no agents yet: "
            "they would wait there until an admin adds agents to it on the Agents page)."]
    assert call(http, "post", path, agent, DRAFT).status_code == 403
    # Nothing written: the configuration, where each conversation waits, the queues and their counters.
    assert call(http, "get", f"/tenants/{tenant}/routing", admin).json_body == before
    assert [stored(tenant, c.id).queue for c in (*shop, faq)] == ["sales", "sales", "help"]
    assert waiting_in(tenant, "sales") == [c.id for c in shop] and waiting_in(tenant, "support") == []
    assert deps().routing.counts(tenant, [Group("sales"), Group("support")])["sales"].waiting == 2

    # The save does what the preview said.
    assert call(http, "put", f"/tenants/{tenant}/routing", admin, DRAFT).status_code == 200
    assert waiting_in(tenant, "support") == [c.id for c in shop] and waiting_in(tenant, "help") == [faq.id]


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["groups"][1].update(threshold=-1), "groups[1].threshold"),
    (lambda d: d["rules"][0]["groups"].append("nowhere"), "rules[0].groups[1]"),
    (lambda d: d["rules"][1].update(skill={"skill": "latin"}), "rules[1].skill.skill"),
    (lambda d: d.update(groups=[]), "groups"),
    (lambda d: d.update(colour="red"), "colour"),
], ids=["threshold", "unknown-group", "unknown-skill", "no-group", "unknown-field"])
def test_a_bad_draft_is_refused_naming_its_field(http: Any, tenant: str, change: Any, field: str) -> None:  # noqa: F811
    supervisor = login(http, make_user(tenant, Role.AGENT, Role.SUPERVISOR))
    bad = json.loads(json.dumps(DRAFT))
    change(bad)
    refused = call(http, "post", f"/tenants/{tenant}/routing/preview", supervisor, bad)
    assert refused.status_code == 400, refused.body
    assert refused.json_body["field"] == field
