"""The end screen's NPS question (issue 15) through the REST routes, against moto's server: an admin turns
`nps_enabled` on; a chat closed then asks it; its visitor's answer is stored once with its time on the conversation
item (the attribute names the reports' stream consumer reads: docs/reports.md), and so is the rating's time; an
agent, another visitor, an open chat, a chat closed with NPS off and a page off the brand's origins are refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.aws import client
from chalicelib.domain.model import Principal, PrincipalKind, Role
from chalicelib.services import conversations, tenants
from chalicelib.settings import settings
from tests.integration.conftest import ROOT
from tests.integration.test_slice_handlers import PASSWORD, login
from tests.integration.test_visitors_and_sales import call, chat_with


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as test_client:
        yield test_client.http


def admin_token(http: Any, tenant: str) -> str:
    username = f"boss-{uuid.uuid4().hex[:6]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username=username, password=PASSWORD, name="Boss",
                         roles=[Role.ADMIN, Role.AGENT])
    return login(http, username)


def visitor(http: Any, tenant: str) -> tuple[str, str]:
    status, session = call(http, "POST", f"/tenants/{tenant}/visitors")
    assert status == 201
    return session["visitor_id"], session["visitor_token"]


def close(tenant: str, conversation_id: str, agent_id: str = "ann") -> None:
    conversations.close_conversation(bootstrap.container().deps, Principal(tenant, agent_id, PrincipalKind.AGENT),
                                     conversation_id)


def raw_item(tenant: str, conversation_id: str) -> dict[str, Any]:
    """The conversation's state item as DynamoDB holds it: what a stream record's NewImage carries."""
    found = client("dynamodb").get_item(TableName=settings().table_name, ConsistentRead=True,
                                        Key={"pk": {"S": f"T#{tenant}#CONV#{conversation_id}"}, "sk": {"S": "STATE"}})
    item: dict[str, Any] = found["Item"]
    return item


def moment(attribute: dict[str, Any]) -> datetime:
    return datetime.strptime(attribute["S"], "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def nps(http: Any, tenant: str, conversation_id: str, body: Any, token: str) -> tuple[int, Any]:
    return call(http, "POST", f"/tenants/{tenant}/conversations/{conversation_id}/nps", body, token=token)


def test_the_admin_turns_nps_on_and_the_visitor_answers_once_with_its_time(http: Any, tenant: str) -> None:
    boss = admin_token(http, tenant)
    status, changed = call(http, "PUT", f"/tenants/{tenant}/settings", {"nps_enabled": True}, token=boss)
    assert (status, changed["nps_enabled"]) == (200, True)
    assert call(http, "GET", f"/tenants/{tenant}/widget")[1]["brand"] == "Test Brand"  # the question names it
    visitor_id, token = visitor(http, tenant)
    conversation_id = chat_with(tenant, visitor_id, "ann")
    before_close = datetime.now(UTC)
    close(tenant, conversation_id)
    status, seen = call(http, "GET", f"/tenants/{tenant}/conversations/{conversation_id}", token=token)
    assert (status, seen["nps_asked"], seen["nps"]) == (200, True, None)

    before = datetime.now(UTC)
    assert call(http, "POST", f"/tenants/{tenant}/conversations/{conversation_id}/rating", {"rating": 5},
                token=token)[0] == 201
    assert nps(http, tenant, conversation_id, {"score": 9}, token) == (
        201, {"conversation_id": conversation_id, "score": 9})
    after = datetime.now(UTC)
    item = raw_item(tenant, conversation_id)
    assert (item["nps"], item["rating"], item["nps_asked"]) == ({"N": "9"}, {"N": "5"}, {"BOOL": True})
    assert before <= moment(item["rated_at"]) <= moment(item["nps_at"]) <= after
    assert before_close <= moment(item["survey_sent_at"]) == moment(item["closed_at"]) <= before

    # Once: a second answer is refused naming `score`, and the first one stays.
    status, refused = nps(http, tenant, conversation_id, {"score": 2}, token)
    assert (status, refused["code"], refused["field"]) == (409, "conflict", "score")
    assert raw_item(tenant, conversation_id)["nps"] == {"N": "9"}
    assert call(http, "GET", f"/tenants/{tenant}/conversations/{conversation_id}", token=token)[1]["nps"] == 9


BOSS = frozenset({Role.ADMIN})


@pytest.mark.parametrize(("body", "code"), [
    ({"score": 11}, "invalid_field"), ({"score": -1}, "invalid_field"), ({"score": "9"}, "invalid_field"),
    ({"score": 9.5}, "invalid_field"), ({"score": True}, "invalid_field"), ({}, "missing_field"),
])
def test_a_bad_score_is_a_400_naming_score(http: Any, tenant: str, body: Any, code: str) -> None:
    boss = Principal(tenant, "boss", PrincipalKind.AGENT, roles=BOSS)
    tenants.change_settings(bootstrap.container().deps, boss, {"nps_enabled": True})
    visitor_id, token = visitor(http, tenant)
    conversation_id = chat_with(tenant, visitor_id, "ann")
    close(tenant, conversation_id)
    answered, refused = nps(http, tenant, conversation_id, body, token)
    assert (answered, refused["code"], refused["field"]) == (400, code, "score")
    assert "nps" not in raw_item(tenant, conversation_id)


def test_only_the_visitor_answers_a_closed_chat_that_asks_it(http: Any, tenant: str) -> None:
    deps = bootstrap.container().deps
    boss = Principal(tenant, "boss", PrincipalKind.AGENT, roles=BOSS)
    visitor_id, token = visitor(http, tenant)
    _, stranger = visitor(http, tenant)
    # Closed while NPS was off: not asked, even once the tenant turns it on.
    before = chat_with(tenant, visitor_id, "ann")
    close(tenant, before)
    assert raw_item(tenant, before)["nps_asked"] == {"BOOL": False}
    tenants.change_settings(deps, boss, {"nps_enabled": True})
    status, refused = nps(http, tenant, before, {"score": 9}, token)
    assert (status, refused["field"]) == (409, "score")
    # Open: not yet.
    conversation_id = chat_with(tenant, visitor_id, "ann")
    status, refused = nps(http, tenant, conversation_id, {"score": 9}, token)
    assert (status, refused["code"], refused["field"]) == (409, "conflict", "score")
    close(tenant, conversation_id)
    # Another visitor does not see it; an agent may not answer.
    assert nps(http, tenant, conversation_id, {"score": 0}, stranger)[0] == 404
    agent = admin_token(http, tenant)
    assert nps(http, tenant, conversation_id, {"score": 0}, agent)[0] == 403
    assert "nps" not in raw_item(tenant, conversation_id) and "nps" not in raw_item(tenant, before)
    assert nps(http, tenant, conversation_id, {"score": 10}, token)[0] == 201


def test_with_site_origins_the_answer_comes_only_from_the_brands_pages(http: Any, tenant: str) -> None:
    boss = Principal(tenant, "boss", PrincipalKind.AGENT, roles=BOSS)
    tenants.change_settings(bootstrap.container().deps, boss, {"nps_enabled": True})
    visitor_id, token = visitor(http, tenant)
    conversation_id = chat_with(tenant, visitor_id, "ann")
    close(tenant, conversation_id)
    tenants.change_settings(bootstrap.container().deps, boss, {"site_origins": ["https://brand.example"]})
    path = f"/tenants/{tenant}/conversations/{conversation_id}/nps"
    for origin in ({}, {"Origin": "https://evil.example"}):
        status, refused = call(http, "POST", path, {"score": 9}, token=token, headers=origin)
        assert (status, refused["code"], refused["field"]) == (403, "forbidden", "origin")
    assert "nps" not in raw_item(tenant, conversation_id)
    assert call(http, "POST", path, {"score": 9}, token=token, headers={"Origin": "https://brand.example"})[0] == 201
