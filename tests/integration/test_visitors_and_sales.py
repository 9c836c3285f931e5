"""Visitors across devices and links (ASYNC-5, ASYNC-2) and sales (ASYNC-12), through the REST handlers on moto's
server: an identified visitor gets the same id and history on any device, "hide my history" hides it, a
notification email's link opens a session for its visitor and conversation, and a signed sale is credited to the
last agent who wrote to the visitor within the window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain import identity, links, sales
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from chalicelib.ports import Deps
from chalicelib.services import conversations, offers
from chalicelib.services.conversations import ChatRequest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def deps() -> Deps:
    return bootstrap.container().deps


def call(http: Any, method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, bytes) else json.dumps(body or {})
    answer = getattr(http, method.lower())(path, headers=sent, **({} if method == "GET" else {"body": raw}))
    return answer.status_code, answer.json_body


def secret_of(tenant: str) -> str:
    found = deps().tenants.get(tenant)
    assert found is not None
    return found.identity_secret


def signed(tenant: str, external_id: str) -> dict[str, str]:
    return {"external_id": external_id, "name": "Zoé", "email": "zoe@example.com",
            "signature": identity.sign(secret_of(tenant), external_id, "Zoé", "zoe@example.com")}


def chat_with(tenant: str, visitor_id: str, agent_id: str) -> str:
    """The visitor starts a conversation that the (only available) agent accepts; returns its id."""
    who = Principal(tenant, visitor_id, PrincipalKind.VISITOR)
    deps().agents.put(Agent(tenant=tenant, id=agent_id, name=agent_id.title(), status=AgentStatus.AVAILABLE))
    started = conversations.start_conversation(deps(), who, None, ChatRequest(consent=True))
    stored = deps().conversations.get(tenant, started.id)
    assert stored is not None and stored.offer is not None and stored.offer.agent_id == agent_id
    offers.accept(deps(), Principal(tenant, agent_id, PrincipalKind.AGENT), started.id, stored.offer.id)
    return started.id


def agent_writes(tenant: str, agent_id: str, conversation_id: str, text: str) -> datetime:
    message = conversations.send_message(deps(), Principal(tenant, agent_id, PrincipalKind.AGENT, name=agent_id),
                                         None, conversation_id, f"{agent_id}-{len(text)}", text)
    return message.sent_at


def test_an_identified_visitor_gets_the_same_id_and_history_on_another_device(http: Any, tenant: str) -> None:
    status, laptop = call(http, "POST", f"/tenants/{tenant}/visitors", {"identity": signed(tenant, "cust-42")})
    assert status == 201 and laptop["identified"] is True
    chat_with(tenant, laptop["visitor_id"], "ann")

    status, phone = call(http, "POST", f"/tenants/{tenant}/visitors", {"identity": signed(tenant, "cust-42")})
    assert status == 201 and phone["visitor_id"] == laptop["visitor_id"]
    status, history = call(http, "GET", f"/tenants/{tenant}/visitors/me/history", token=phone["visitor_token"])
    assert status == 200 and history["hidden"] is False and len(history["conversations"]) == 1

    other = call(http, "POST", f"/tenants/{tenant}/visitors", {"identity": signed(tenant, "cust-43")})[1]
    assert other["visitor_id"] != laptop["visitor_id"]
    forged = {**signed(tenant, "cust-42"), "signature": "0" * 64}
    anonymous = call(http, "POST", f"/tenants/{tenant}/visitors", {"identity": forged})[1]
    assert anonymous["identified"] is False and anonymous["visitor_id"] != laptop["visitor_id"]


def test_hide_my_history_hides_it_until_shown_again(http: Any, tenant: str) -> None:
    session = call(http, "POST", f"/tenants/{tenant}/visitors", {})[1]
    chat_with(tenant, session["visitor_id"], "ann")
    token = session["visitor_token"]
    assert call(http, "PUT", f"/tenants/{tenant}/visitors/me/preferences", {"hide_history": "yes"}, token)[1][
        "field"] == "hide_history"
    assert call(http, "PUT", f"/tenants/{tenant}/visitors/me/preferences", {"hide_history": True}, token) == (
        200, {"hide_history": True})
    assert call(http, "GET", f"/tenants/{tenant}/visitors/me/history", token=token)[1] == {
        "hidden": True, "conversations": []}
    call(http, "PUT", f"/tenants/{tenant}/visitors/me/preferences", {"hide_history": False}, token)
    assert len(call(http, "GET", f"/tenants/{tenant}/visitors/me/history", token=token)[1]["conversations"]) == 1


def test_an_emails_link_opens_a_session_for_its_visitor_and_conversation(http: Any, tenant: str) -> None:
    key = bootstrap.container().secrets.visitor_token_key()
    now = datetime.now(UTC)
    link = links.resume_token(key, links.Resume(tenant, "v-away", "c-1"), now)
    status, session = call(http, "POST", f"/tenants/{tenant}/visitors", {"resume": link})
    assert status == 201 and (session["visitor_id"], session["conversation_id"]) == ("v-away", "c-1")

    for bad in (link[:-2] + "xx", links.resume_token(key, links.Resume("another", "v-away", "c-1"), now),
                links.resume_token(key, links.Resume(tenant, "v-away", "c-1"), now - timedelta(days=31))):
        status, refused = call(http, "POST", f"/tenants/{tenant}/visitors", {"resume": bad})
        assert status == 401, refused


def post_sale(http: Any, tenant: str, sale: dict[str, Any], secret: str | None = None) -> tuple[int, Any]:
    raw = json.dumps(sale).encode()
    signature = sales.signature(secret or secret_of(tenant), raw)
    return call(http, "POST", f"/tenants/{tenant}/sales", raw, headers={"X-Guichet-Signature": signature})


def test_a_sale_is_credited_to_the_last_agent_who_wrote_within_48_hours(http: Any, tenant: str) -> None:
    visitor = call(http, "POST", f"/tenants/{tenant}/visitors", {"identity": signed(tenant, "cust-7")})[1]
    first = chat_with(tenant, visitor["visitor_id"], "ann")
    ann_at = agent_writes(tenant, "ann", first, "Here is the blue one")

    status, sale = post_sale(http, tenant, {"order_id": "o-1", "external_id": "cust-7", "amount": "129.90",
                                            "currency": "EUR", "at": (ann_at + timedelta(hours=47)).isoformat()})
    assert status == 201 and sale["credited_to"]["agent_id"] == "ann"
    assert sale["credited_to"]["conversation_id"] == first

    status, late = post_sale(http, tenant, {"order_id": "o-2", "visitor_id": visitor["visitor_id"],
                                            "at": (ann_at + timedelta(hours=49)).isoformat()})
    assert status == 201 and late["credited_to"] is None
    status, before = post_sale(http, tenant, {"order_id": "o-3", "visitor_id": visitor["visitor_id"],
                                              "at": (ann_at - timedelta(minutes=5)).isoformat()})
    assert status == 201 and before["credited_to"] is None

    # The same order reported again keeps its first credit; a forged or unsigned report is refused.
    again = post_sale(http, tenant, {"order_id": "o-1", "external_id": "cust-7",
                                     "at": (ann_at + timedelta(hours=49)).isoformat()})[1]
    assert again["credited_to"]["agent_id"] == "ann"
    assert post_sale(http, tenant, {"order_id": "o-4", "external_id": "cust-7"}, secret="forged")[0] == 401
    status, missing = post_sale(http, tenant, {"external_id": "cust-7"})
    assert (status, missing["field"]) == (400, "order_id")
