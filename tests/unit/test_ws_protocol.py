import json

import pytest

from chalicelib import ws
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.ports import Deps
from tests.unit.fakes import make_deps

VISITOR = Principal("demo", "v1", PrincipalKind.VISITOR)


@pytest.fixture
def deps() -> Deps:
    return make_deps("demo")


@pytest.mark.parametrize(("body", "code"), [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_json"),
    (json.dumps({"id": "r1"}), "missing_field"),
    (json.dumps({"id": "r1", "action": "dance"}), "unknown_action"),
    (json.dumps({"id": "r1", "action": "send_message", "conversation_id": "c", "text": "x"}), "missing_field"),
])
def test_bad_frames_get_an_error_frame(deps: Deps, body: str, code: str) -> None:
    reply = ws.handle(deps, VISITOR, "conn", body)
    assert reply is not None and reply["type"] == "error" and reply["code"] == code and reply["message"]


def test_an_error_frame_names_the_field_and_echoes_the_request_id(deps: Deps) -> None:
    body = json.dumps({"id": "r7", "action": "send_message", "conversation_id": "c", "text": "x"})
    assert ws.handle(deps, VISITOR, "conn", body) == {
        "type": "error", "id": "r7", "code": "missing_field", "field": "client_message_id",
        "message": "'client_message_id' is required",
    }


def test_a_request_is_acknowledged_with_its_result(deps: Deps) -> None:
    reply = ws.handle(deps, VISITOR, "conn", json.dumps({"id": 3, "action": "start_conversation", "consent": True}))
    assert reply is not None and reply["type"] == "ack" and reply["id"] == 3
    assert reply["action"] == "start_conversation" and reply["conversation"]["status"] == "waiting"


def test_ping_gets_pong(deps: Deps) -> None:
    assert ws.handle(deps, VISITOR, "conn", '{"action":"ping","id":"p"}') == {"type": "pong", "id": "p"}


def test_agent_actions_are_refused_to_visitors(deps: Deps) -> None:
    reply = ws.handle(deps, VISITOR, "conn", json.dumps({"id": "s", "action": "set_status", "status": "available"}))
    assert reply is not None and reply["code"] == "forbidden"


def test_the_authorizer_context_round_trips() -> None:
    agent = Principal("demo", "a1", PrincipalKind.AGENT, name="Ann", roles=frozenset({Role.AGENT, Role.ADMIN}))
    context = ws.authorizer_context(agent)
    assert all(isinstance(v, str) for v in context.values())  # API Gateway only keeps strings
    assert ws.principal_from_authorizer({**context, "principalId": "a1"}) == agent


def test_set_status_acks_with_the_agent(deps: Deps) -> None:
    deps.agents.put(Agent(tenant="demo", id="a1", name="Ann"))
    agent = Principal("demo", "a1", PrincipalKind.AGENT, name="Ann", roles=frozenset({Role.AGENT}))
    reply = ws.handle(deps, agent, "conn", json.dumps({"id": "s", "action": "set_status", "status": "away"}))
    assert reply is not None and reply["agent"]["status"] == "away"
