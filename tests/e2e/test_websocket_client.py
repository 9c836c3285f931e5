"""A real WebSocket client against the local stack: refused handshakes, error frames on a connection that stays
open, API Gateway's size limits, and a resend that is stored once."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.e2e.helpers import ask, rest, ws_url


@pytest.fixture
def visitor(stack_url: str) -> str:
    token: str = rest(stack_url, "POST", "/tenants/demo/visitors")["visitor_token"]
    return token


def test_bad_tokens_are_refused_at_the_handshake(stack_url: str, visitor: str) -> None:
    for tenant, token, status in (("demo", "v1.forged.token", 401), ("demo", "", 401), ("acme", visitor, 403)):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(stack_url, token, tenant), open_timeout=10)
        assert refused.value.response.status_code == status


def test_bad_frames_get_error_frames_and_the_connection_stays_open(stack_url: str, visitor: str) -> None:
    with connect(ws_url(stack_url, visitor), open_timeout=10) as socket:
        assert ask(socket, "{oops")["code"] == "invalid_json"
        assert ask(socket, {"action": "fly", "id": "a"}) == {
            "type": "error", "id": "a", "code": "unknown_action", "message": "unknown action 'fly'", "field": "action"}
        missing = ask(socket, {"action": "send_message", "id": "b", "text": "hi", "client_message_id": "c"})
        assert (missing["code"], missing["field"]) == ("missing_field", "conversation_id")
        assert ask(socket, {"action": "ping", "id": "p"}) == {"type": "pong", "id": "p"}


def test_a_message_over_32_kb_in_frames_is_refused_and_a_frame_over_32_kb_closes_1009(stack_url: str,
                                                                                    visitor: str) -> None:
    text = json.dumps({"action": "ping", "id": "big", "pad": "x" * (96 * 1024)})
    with connect(ws_url(stack_url, visitor), open_timeout=10) as socket:
        socket.send([text[i:i + 32 * 1024] for i in range(0, len(text), 32 * 1024)])  # reassembled by the gateway
        answer = json.loads(socket.recv(timeout=10))
        assert (answer["type"], answer["code"], answer["field"]) == ("error", "invalid_field", "frame")
        assert ask(socket, {"action": "ping", "id": "p"}) == {"type": "pong", "id": "p"}  # still open
        socket.send(text)  # one frame of 96 KB: API Gateway closes the connection, nothing answers
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_a_resend_after_reconnecting_is_stored_once(stack_url: str, visitor: str) -> None:
    frame = {"action": "send_message", "client_message_id": "resend-1", "text": "Is my order shipped?",
             "after_seq": 0}
    with connect(ws_url(stack_url, visitor), open_timeout=10) as socket:
        conversation = ask(socket, {"action": "start_conversation", "consent": True, "id": "s"})["conversation"]
        first = ask(socket, {**frame, "id": "1", "conversation_id": conversation["id"]})
    with connect(ws_url(stack_url, visitor), open_timeout=10) as socket:  # the ack was "lost": resend
        again = ask(socket, {**frame, "id": "2", "conversation_id": conversation["id"]})
    assert again["message"] == first["message"]
    stored = rest(stack_url, "GET", f"/tenants/demo/conversations/{conversation['id']}/messages", token=visitor)
    assert [m["client_message_id"] for m in stored["messages"]] == ["resend-1"]
