"""What the fuzz stage shares: its seed, raw REST and WebSocket calls, and the demo tenant of its own local stack.

The stack is `python -m local` started without `GUICHET_LOCAL_RESET` (the fuzz must not reach a reset route): the
fuzz changes the demo tenant's settings and routing as `ada` (an admin), so `Demo.restore()` puts back what the
stack started with before each stage that needs the demo as it was.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: Every run prints its seed; `GUICHET_FUZZ_SEED=<n> .venv/bin/pytest tests/fuzz -q` replays it.
SEED = int(os.environ.get("GUICHET_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
DEMO_PASSWORD = "Guichet-demo-1"
TENANT = "demo"

#: The error codes of docs/websocket.md (and of the REST errors, docs/openapi.yaml).
WS_ERROR_CODES = {"invalid_json", "missing_field", "invalid_field", "unknown_action", "forbidden", "blocked",
                  "not_found", "unavailable", "conflict", "rate_limited"}

#: What the local stack's log says when a handler raised (what API Gateway would answer 500 for).
SERVER_FAILURE = re.compile(r"Traceback \(most recent call last\)|ws_\w+ failed|Internal server error")


#: What the fuzz's requests got, by kind of caller and answer ("visitor ack", "agent invalid_field", "rest 400"...),
#: printed in the summary to show how far the fuzz reached.
REACHED: Counter[str] = Counter()


@dataclass(frozen=True)
class Raw:
    """JSON text written as is: literals Python's json cannot produce (1e400, -Infinity), very deep nesting."""

    text: str


def render(value: Any) -> str:
    """JSON text of `value`; lone surrogates come out as their raw escapes ("\\ud800"), NaN as NaN."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(key)}: {render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    return json.dumps(value)


@dataclass
class Answer:
    status: int
    body: Any
    raw: bytes


def call(url: str, method: str, path: str, body: Any = None, *, token: str | None = None,
         headers: dict[str, str | bytes] | None = None, raw_body: bytes | None = None) -> Answer:
    """One REST request as sent on the wire: header values may be bytes (e.g. UTF-8 that is not ASCII), the body a
    JSON value or raw bytes. Never raises for a status; the body is decoded JSON when it is JSON."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
    try:
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode())
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent: dict[str, str | bytes] = {"Content-Type": "application/json"} if data is not None else {}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data or b"")))
        connection.endheaders(data)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        decoded: Any = json.loads(raw)
    except ValueError:
        decoded = raw.decode("utf-8", "replace")
    return Answer(response.status, decoded, raw)


def ws_connect(url: str, token: str, tenant: str = TENANT) -> ClientConnection:
    query = urllib.parse.urlencode({"tenant": tenant, "token": token})
    return connect(f"{url.replace('http', 'ws', 1)}/ws?{query}", open_timeout=10, max_size=2**22)


def next_answer(socket: ClientConnection) -> dict[str, Any]:
    """The next frame that answers a request: an ack, a pong, an error, or a frame without a type (what the gateway
    sends when the handler failed). Pushes in between (offers, messages, statuses) are skipped."""
    while True:
        frame = json.loads(socket.recv(timeout=10))
        assert isinstance(frame, dict), frame
        if frame.get("type") in {"ack", "pong", "error"} or "type" not in frame:
            return frame


_pings = itertools.count()


def the_answer(socket: ClientConnection, text: str) -> dict[str, Any]:
    """Send one text frame and return its answer, checking that it got exactly one: the frame after it is a ping,
    whose pong must be the very next answer (frames of a connection are handled in order)."""
    socket.send(text)
    answer = next_answer(socket)
    check = f"check-{next(_pings)}"
    socket.send(json.dumps({"action": "ping", "id": check}))
    after = next_answer(socket)
    assert after == {"type": "pong", "id": check}, f"a second answer to {text[:200]!r}, or none to a ping: {after}"
    return answer


def ask(socket: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    return the_answer(socket, json.dumps(frame))


@dataclass
class Demo:
    """The demo tenant on the fuzz stack: ada (admin and agent), a visitor with an open conversation, and what the
    tenant's settings, routing and ada's settings were at start."""

    url: str
    log_path: Path
    agent_token: str
    agent_id: str
    visitor_token: str
    visitor_id: str
    conversation_id: str
    settings: dict[str, Any] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    agent_settings: dict[str, Any] = field(default_factory=dict)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def failures_logged_since(self, offset: int) -> str:
        """The stack's log after `offset` if it shows a handler failure, else ''."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
        return text if SERVER_FAILURE.search(text) else ""

    def new_visitor(self) -> str:
        answer = call(self.url, "POST", f"/tenants/{TENANT}/visitors", {})
        assert answer.status == 201, answer
        return str(answer.body["visitor_token"])

    def restore(self) -> None:
        """Put back the settings, routing and ada's routing settings the stack started with, and ada's status."""
        for path, body in ((f"/tenants/{TENANT}/settings", self.settings),
                           (f"/tenants/{TENANT}/routing", self.routing),
                           (f"/tenants/{TENANT}/agents/{self.agent_id}/settings", self.agent_settings)):
            answer = call(self.url, "PUT", path, body, token=self.agent_token)
            assert answer.status == 200, (path, answer)
        answer = call(self.url, "PUT", f"/tenants/{TENANT}/agents/me/status", {"status": "away"},
                      token=self.agent_token)
        assert answer.status == 200, answer


def login(url: str, username: str = "ada") -> tuple[str, str]:
    answer = call(url, "POST", "/auth/login", {"username": username, "password": DEMO_PASSWORD})
    assert answer.status == 200, answer
    return str(answer.body["id_token"]), str(answer.body["agent"]["id"])


def open_demo(url: str, log_path: Path) -> Demo:
    """Log ada in, read what the tenant starts with, and open a visitor's conversation (waiting for an agent)."""
    token, agent_id = login(url)
    settings = _updatable_settings(call(url, "GET", f"/tenants/{TENANT}/settings", token=token).body)
    routing = call(url, "GET", f"/tenants/{TENANT}/routing", token=token).body
    agent = call(url, "GET", f"/tenants/{TENANT}/agents/{agent_id}/settings", token=token).body
    agent_settings = {"capacity": agent["capacities"], "skills": agent["skills"], "groups": agent["queues"],
                      "route_first": agent["route_first"], "multi_channel": agent["multi_channel"]}
    visitor = call(url, "POST", f"/tenants/{TENANT}/visitors", {})
    assert visitor.status == 201, visitor
    visitor_token = str(visitor.body["visitor_token"])
    with ws_connect(url, visitor_token) as socket:
        started = ask(socket, {"action": "start_conversation", "id": "s", "consent": True,
                               "message": {"client_message_id": "m-1", "text": "Hello"}})
    assert started["type"] == "ack", started
    return Demo(url=url, log_path=log_path, agent_token=token, agent_id=agent_id, visitor_token=visitor_token,
                visitor_id=str(visitor.body["visitor_id"]), conversation_id=str(started["conversation"]["id"]),
                settings=settings, routing=routing, agent_settings=agent_settings)


def _updatable_settings(current: dict[str, Any]) -> dict[str, Any]:
    """GET /settings answers a few read-only fields that PUT refuses; keep what PUT takes."""
    return {name: value for name, value in current.items() if name not in {"tenant", "identity_secret"}}
