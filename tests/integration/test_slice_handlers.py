"""The slice through the Lambda entry points against moto: REST login and visitor session, the $connect
authorizer, WebSocket frames, fan-out through @connections, and the errors on the way."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.model import Role
from chalicelib.services import tenants
from chalicelib.settings import settings
from tests.integration.conftest import ROOT, ConnectionsApi
from tests.integration.handlers import Socket

PASSWORD = "Demo-Passw0rd!"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def post(http: Any, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http.post(path, headers=headers, body=json.dumps(body))


def get(http: Any, path: str, token: str | None = None) -> Any:
    return http.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})


def make_agent(tenant: str, name: str = "Ann") -> str:
    username = f"{name.lower()}-{uuid.uuid4().hex[:6]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username=username, password=PASSWORD, name=name,
                         roles=[Role.AGENT])
    return username


def login(http: Any, username: str) -> str:
    answer = post(http, "/auth/login", {"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.body
    token: str = answer.json_body["id_token"]
    return token


def visitor_token(http: Any, tenant: str) -> str:
    answer = post(http, f"/tenants/{tenant}/visitors", {})
    assert answer.status_code == 201, answer.body
    token: str = answer.json_body["visitor_token"]
    return token


def acks(api: ConnectionsApi, connection_id: str, request_id: str) -> list[dict[str, Any]]:
    return [f for f in api.of(connection_id) if f.get("id") == request_id]


def accept(desk: Socket, api: ConnectionsApi) -> dict[str, Any]:
    """The desk accepts the newest offer it was pushed."""
    offer = api.of(desk.id, "offer")[-1]["offer"]
    desk.send({"action": "accept_offer", "id": f"accept-{offer['id']}", "conversation_id": offer["conversation_id"],
               "offer_id": offer["id"]})
    (ack,) = acks(api, desk.id, f"accept-{offer['id']}")
    assert ack["type"] == "ack", ack
    return dict(ack["conversation"])


def test_a_visitor_message_reaches_the_agent_and_the_reply_comes_back(
        http: Any, tenant: str, connections_api: ConnectionsApi) -> None:
    agent_token = login(http, make_agent(tenant))
    desk = Socket(f"desk-{tenant}", tenant, agent_token)
    desk.send({"action": "set_status", "id": "s1", "status": "available"})
    assert acks(connections_api, desk.id, "s1")[0]["agent"]["status"] == "available"

    widget = Socket(f"widget-{tenant}", tenant, visitor_token(http, tenant))
    widget.send({"action": "start_conversation", "consent": True, "id": "c1",
                 "page": {"url": "https://brand/p", "title": "P"}})
    (started,) = acks(connections_api, widget.id, "c1")
    conversation = started["conversation"]
    assert conversation["status"] == "waiting"  # offered to Ann; the visitor just waits
    accept(desk, connections_api)
    (joined,) = connections_api.of(widget.id, "conversation.updated")
    assert joined["conversation"]["status"] == "assigned" and joined["conversation"]["agent"]["name"] == "Ann"
    (assigned,) = connections_api.of(desk.id, "conversation.assigned")
    assert assigned["conversation"]["id"] == conversation["id"]
    assert assigned["conversation"]["page"] == {"url": "https://brand/p", "title": "P"}

    widget.send({"action": "send_message", "id": "m1", "conversation_id": conversation["id"],
                 "client_message_id": "cm-1", "text": XSS, "after_seq": 0})
    (ack,) = acks(connections_api, widget.id, "m1")
    assert ack["type"] == "ack" and ack["message"]["seq"] == 1
    (pushed,) = connections_api.of(desk.id, "message")
    assert pushed["message"]["text"] == XSS and pushed["message"]["sender"]["kind"] == "visitor"

    desk.send({"action": "send_message", "id": "r1", "conversation_id": conversation["id"],
               "client_message_id": "cr-1", "text": "Hello! How can I help?", "after_seq": 1})
    (reply,) = connections_api.of(widget.id, "message")
    assert reply["message"]["seq"] == 2 and reply["message"]["sender"] == {
        "kind": "agent", "id": assigned["conversation"]["agent"]["id"], "name": "Ann"}

    history = get(http, f"/tenants/{tenant}/conversations/{conversation['id']}/messages?after_seq=0", agent_token)
    assert [m["text"] for m in history.json_body["messages"]] == [XSS, "Hello! How can I help?"]


def test_a_resent_message_is_stored_once(http: Any, tenant: str, connections_api: ConnectionsApi) -> None:
    token = visitor_token(http, tenant)
    widget = Socket(f"w-{tenant}", tenant, token)
    widget.send({"action": "start_conversation", "consent": True, "id": "c"})
    conversation_id = acks(connections_api, widget.id, "c")[0]["conversation"]["id"]
    frame = {"action": "send_message", "conversation_id": conversation_id, "client_message_id": "same",
             "text": "once", "after_seq": 0}
    widget.send({**frame, "id": "a"})
    again = Socket(f"w2-{tenant}", tenant, token)  # the retry comes on a new connection after a network loss
    again.send({**frame, "id": "b"})
    assert acks(connections_api, widget.id, "a")[0]["message"] == acks(connections_api, again.id, "b")[0]["message"]
    stored = get(http, f"/tenants/{tenant}/conversations/{conversation_id}/messages", token).json_body["messages"]
    assert [m["text"] for m in stored] == ["once"]


@pytest.mark.parametrize(("frame", "code", "field"), [
    ("{oops", "invalid_json", None),
    ({"action": "teleport", "id": "x"}, "unknown_action", "action"),
    ({"action": "send_message", "id": "x", "client_message_id": "c", "text": "hi"}, "missing_field",
     "conversation_id"),
    ({"action": "send_message", "id": "x", "conversation_id": "nope", "client_message_id": "c", "text": "x" * 1941},
     "invalid_field", "text"),
])
def test_a_bad_frame_gets_an_error_frame(http: Any, tenant: str, connections_api: ConnectionsApi,
                                         frame: Any, code: str, field: str | None) -> None:
    widget = Socket(f"bad-{uuid.uuid4().hex[:8]}", tenant, visitor_token(http, tenant))
    widget.send(frame)
    (error,) = connections_api.of(widget.id, "error")
    assert error["code"] == code and error.get("field") == field and error["message"]
    widget.send({"action": "ping", "id": "p"})  # the connection still serves requests
    assert connections_api.of(widget.id, "pong") == [{"type": "pong", "id": "p"}]


def test_a_gone_connection_is_removed_and_the_others_still_receive(
        http: Any, tenant: str, connections_api: ConnectionsApi) -> None:
    desk = Socket(f"d-{tenant}", tenant, login(http, make_agent(tenant)))
    desk.send({"action": "set_status", "status": "available"})
    token = visitor_token(http, tenant)
    tab1, tab2 = Socket(f"t1-{tenant}", tenant, token), Socket(f"t2-{tenant}", tenant, token)
    tab1.send({"action": "start_conversation", "consent": True, "id": "c"})
    conversation_id = acks(connections_api, tab1.id, "c")[0]["conversation"]["id"]
    accept(desk, connections_api)
    connections_api.gone.add(tab1.id)
    desk.send({"action": "send_message", "conversation_id": conversation_id, "client_message_id": "r",
               "text": "anyone?"})
    assert [f["message"]["text"] for f in connections_api.of(tab2.id, "message")] == ["anyone?"]
    stored = bootstrap.container().deps.conversations.get(tenant, conversation_id)
    assert stored is not None and tab1.id not in stored.connections and tab2.id in stored.connections


def test_disconnect_unsubscribes_the_connection(http: Any, tenant: str, connections_api: ConnectionsApi) -> None:
    widget = Socket(f"dc-{tenant}", tenant, visitor_token(http, tenant))
    widget.send({"action": "start_conversation", "consent": True, "id": "c"})
    conversation_id = acks(connections_api, widget.id, "c")[0]["conversation"]["id"]
    widget.close()
    stored = bootstrap.container().deps.conversations.get(tenant, conversation_id)
    assert stored is not None and stored.connections == frozenset()


def test_every_key_written_by_the_slice_carries_the_tenant(http: Any, tenant: str,
                                                           connections_api: ConnectionsApi) -> None:
    desk = Socket(f"k-{tenant}", tenant, login(http, make_agent(tenant)))
    desk.send({"action": "set_status", "status": "available"})
    widget = Socket(f"kw-{tenant}", tenant, visitor_token(http, tenant))
    widget.send({"action": "start_conversation", "consent": True, "id": "c"})
    conversation_id = acks(connections_api, widget.id, "c")[0]["conversation"]["id"]
    accept(desk, connections_api)
    widget.send({"action": "send_message", "conversation_id": conversation_id, "client_message_id": "m",
                 "text": "hi"})
    table = boto3.resource("dynamodb").Table(settings().table_name)
    items, page = [], table.scan()  # a test may scan; the app never does
    items.extend(page["Items"])
    while "LastEvaluatedKey" in page:  # every page: the session's table outgrows one (1 MB)
        page = table.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
        items.extend(page["Items"])
    assert all(str(i["pk"]).startswith("T#") for i in items)  # no item of any test lacks a tenant
    ours = [i for i in items if str(i["pk"]).startswith(f"T#{tenant}#")]
    assert {i["sk"].split("#")[0] for i in ours} >= {"CONFIG", "PROFILE", "CONN", "CONV", "OPEN", "STATE", "MSG"}
    for item in ours:
        if "gsi1pk" in item:
            assert str(item["gsi1pk"]).startswith(f"T#{tenant}#"), item


def test_a_brand_signed_identity_reaches_the_agent_as_verified(http: Any, tenant: str,
                                                               connections_api: ConnectionsApi) -> None:
    from chalicelib.domain import identity

    agent_token = login(http, make_agent(tenant))
    assert get(http, f"/tenants/{tenant}/identity-secret", agent_token).status_code == 403  # admins only
    admin = f"admin-{uuid.uuid4().hex[:6]}"
    c = bootstrap.container()
    tenants.create_agent(c.deps, c.identity, tenant=tenant, username=admin, password=PASSWORD, name="Adm",
                         roles=[Role.AGENT, Role.ADMIN])
    secret = get(http, f"/tenants/{tenant}/identity-secret", login(http, admin)).json_body["secret"]
    desk = Socket(f"id-{tenant}", tenant, agent_token)
    desk.send({"action": "set_status", "status": "available"})
    widget = Socket(f"idw-{tenant}", tenant, visitor_token(http, tenant))
    signed = {"external_id": "c-42", "name": "Zoé", "email": "zoe@example.org",
              "signature": identity.sign(secret, "c-42", "Zoé", "zoe@example.org")}
    widget.send({"action": "start_conversation", "consent": True, "id": "s", "identity": signed})
    (offer,) = connections_api.of(desk.id, "offer")
    assert offer["conversation"]["visitor"]["verified"] is True
    assert offer["conversation"]["visitor"]["external_id"] == "c-42"


def test_a_reloaded_waiting_screen_reads_its_position(http: Any, tenant: str,
                                                      connections_api: ConnectionsApi) -> None:
    tokens = [visitor_token(http, tenant) for _ in range(2)]
    ids = []
    for n, token in enumerate(tokens):
        socket = Socket(f"pos{n}-{tenant}", tenant, token)
        socket.send({"action": "start_conversation", "consent": True, "id": "s"})
        ids.append(acks(connections_api, socket.id, "s")[0]["conversation"]["id"])
    views = [get(http, f"/tenants/{tenant}/conversations/{cid}", token).json_body for cid, token in zip(ids, tokens,
                                                                                                        strict=True)]
    assert [v["position"] for v in views] == [1, 2]
    assert all("visitor" not in v and "offer" not in v for v in views)  # the visitor's subset
