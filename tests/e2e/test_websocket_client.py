"""A real WebSocket client against the local stack: refused handshakes, error frames on a connection that stays
open, and a resend that is stored once."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect


def rest(url: str, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    data = None if method == "GET" else json.dumps(body or {}).encode()
    request = urllib.request.Request(f"{url}{path}", method=method, data=data,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def ws_url(url: str, tenant: str, token: str) -> str:
    return f"{url.replace('http', 'ws', 1)}/ws?tenant={tenant}&token={token}"


def ask(socket: ClientConnection, frame: dict[str, Any] | str) -> dict[str, Any]:
    """Send a frame and return the answer to it, skipping pushes (e.g. an agent joining) that come in between."""
    socket.send(frame if isinstance(frame, str) else json.dumps(frame))
    request_id = None if isinstance(frame, str) else frame.get("id")
    while True:
        answer: dict[str, Any] = json.loads(socket.recv(timeout=10))
        if answer.get("id") == request_id and answer["type"] in {"ack", "error", "pong"}:
            return answer


@pytest.fixture
def visitor(stack_url: str) -> str:
    token: str = rest(stack_url, "POST", "/tenants/demo/visitors")["visitor_token"]
    return token


def test_bad_tokens_are_refused_at_the_handshake(stack_url: str, visitor: str) -> None:
    for tenant, token, status in (("demo", "v1.forged.token", 401), ("demo", "", 401), ("acme", visitor, 403)):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(stack_url, tenant, token), open_timeout=10)
        assert refused.value.response.status_code == status


def test_bad_frames_get_error_frames_and_the_connection_stays_open(stack_url: str, visitor: str) -> None:
    with connect(ws_url(stack_url, "demo", visitor), open_timeout=10) as socket:
        assert ask(socket, "{oops")["code"] == "invalid_json"
        assert ask(socket, {"action": "fly", "id": "a"}) == {
            "type": "error", "id": "a", "code": "unknown_action", "message": "unknown action 'fly'", "field": "action"}
        missing = ask(socket, {"action": "send_message", "id": "b", "text": "hi", "client_message_id": "c"})
        assert (missing["code"], missing["field"]) == ("missing_field", "conversation_id")
        assert ask(socket, {"action": "ping", "id": "p"}) == {"type": "pong", "id": "p"}


def test_a_resend_after_reconnecting_is_stored_once(stack_url: str, visitor: str) -> None:
    frame = {"action": "send_message", "client_message_id": "resend-1", "text": "Is my order shipped?",
             "after_seq": 0}
    with connect(ws_url(stack_url, "demo", visitor), open_timeout=10) as socket:
        conversation = ask(socket, {"action": "start_conversation", "id": "s"})["conversation"]
        first = ask(socket, {**frame, "id": "1", "conversation_id": conversation["id"]})
    with connect(ws_url(stack_url, "demo", visitor), open_timeout=10) as socket:  # the ack was "lost": resend
        again = ask(socket, {**frame, "id": "2", "conversation_id": conversation["id"]})
    assert again["message"] == first["message"]
    stored = rest(stack_url, "GET", f"/tenants/demo/conversations/{conversation['id']}/messages", token=visitor)
    assert [m["client_message_id"] for m in stored["messages"]] == ["resend-1"]
