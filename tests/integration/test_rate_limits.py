"""Per-visitor limits through the Lambda entry points on moto: a new session over the limit is 429 with Retry-After,
a conversation or a message over it is the error frame `rate_limited`, and nothing is stored; racing threads never
get more than the limit."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain import rate_limits
from chalicelib.domain.errors import RateLimited
from chalicelib.domain.model import Principal, PrincipalKind
from chalicelib.services import conversations, visitors
from chalicelib.services.conversations import ChatRequest
from chalicelib.settings import settings
from tests.integration.conftest import ROOT, ConnectionsApi
from tests.integration.handlers import Socket

THREADS = 12


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


def set_limits(tenant: str, **limits: int) -> None:
    deps = bootstrap.container().deps
    found = deps.tenants.get(tenant)
    assert found is not None
    deps.tenants.put(replace(found, settings=replace(found.settings, **limits)))


def in_one_window(seconds: int, needed: float = 20.0) -> None:
    """Wait, if need be, for the next fixed window, so that the test's requests all fall in one: on a loaded machine
    a minute can end between the fifth message and the sixth, and the sixth is then rightly admitted."""
    now = bootstrap.container().deps.clock.now()
    left = rate_limits.window_of(now, seconds).end - now.timestamp()
    if left < needed:
        time.sleep(left + 0.1)


def new_session(http: Any, tenant: str, body: dict[str, Any] | None = None) -> Any:
    return http.post(f"/tenants/{tenant}/visitors", headers={"Content-Type": "application/json"},
                     body=json.dumps(body or {}))


def items_under(prefix: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(settings().table_name)
    page = table.scan()
    items = list(page["Items"])
    while "LastEvaluatedKey" in page:  # every page: the session's table outgrows one (1 MB)
        page = table.scan(ExclusiveStartKey=page["LastEvaluatedKey"])
        items.extend(page["Items"])
    return [item for item in items if str(item["pk"]).startswith(prefix)]


def visitor_socket(http: Any, tenant: str) -> Socket:
    token = new_session(http, tenant).json_body["visitor_token"]
    return Socket(f"v-{uuid.uuid4().hex[:8]}", tenant, token)


def error_of(api: ConnectionsApi, socket: Socket, request_id: str) -> dict[str, Any]:
    (answer,) = [f for f in api.of(socket.id) if f.get("id") == request_id]
    return answer


def test_a_new_visitor_over_the_session_limit_gets_429_with_retry_after(http: Any, tenant: str) -> None:
    set_limits(tenant, visitor_sessions_per_hour=10)
    in_one_window(3600)
    first = new_session(http, tenant)
    for _ in range(9):
        assert new_session(http, tenant).status_code == 201

    refused = new_session(http, tenant)  # the 11th new visitor from 127.0.0.1 this hour
    assert refused.status_code == 429
    assert refused.json_body["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    # A known visitor counts against their own id, not against the address.
    again = new_session(http, tenant, {"visitor_token": first.json_body["visitor_token"]})
    assert again.status_code == 201
    assert again.json_body["visitor_id"] == first.json_body["visitor_id"]
    # The counters are tenant-prefixed items with the table's TTL attribute, and hold no address.
    counters = items_under(f"T#{tenant}#LIMIT#")
    assert sorted(int(c["n"]) for c in counters) == [1, 10]
    by_address = rate_limits.source_key(bootstrap.container().secrets.visitor_token_key(), "127.0.0.1")
    assert {c["pk"] for c in counters if int(c["n"]) == 10} == {f"T#{tenant}#LIMIT#sessions#{by_address}"}
    assert all(int(c["expires_at"]) > 0 and "127.0.0.1" not in json.dumps(c, default=str) for c in counters)


def test_a_visitor_over_the_message_limit_gets_the_error_frame_and_the_message_is_not_stored(
        http: Any, tenant: str, connections_api: ConnectionsApi) -> None:
    set_limits(tenant, visitor_messages_per_minute=5)
    visitor = visitor_socket(http, tenant)
    in_one_window(60)
    visitor.send({"action": "start_conversation", "id": "s", "consent": True,
                  "message": {"client_message_id": "m0", "text": "hello"}})  # the first message counts
    conversation_id = error_of(connections_api, visitor, "s")["conversation"]["id"]
    for n in range(1, 6):
        visitor.send({"action": "send_message", "id": f"m{n}", "conversation_id": conversation_id,
                      "client_message_id": f"m{n}", "text": f"line {n}"})

    answers = [error_of(connections_api, visitor, f"m{n}") for n in range(1, 6)]
    assert [a["type"] for a in answers] == ["ack"] * 4 + ["error"]
    assert answers[-1]["code"] == "rate_limited"
    assert "try again" in answers[-1]["message"] and 1 <= answers[-1]["retry_after"] <= 60
    stored = bootstrap.container().deps.conversations.messages(tenant, conversation_id, 0, 50)
    assert [m.client_message_id for m in stored] == ["m0", "m1", "m2", "m3", "m4"]


def test_a_visitor_over_the_conversation_limit_gets_the_error_frame_and_no_conversation(
        http: Any, tenant: str, connections_api: ConnectionsApi) -> None:
    set_limits(tenant, visitor_conversations_per_hour=1)
    deps = bootstrap.container().deps
    visitor = visitor_socket(http, tenant)
    in_one_window(3600)
    visitor.send({"action": "start_conversation", "id": "first", "consent": True})
    first = error_of(connections_api, visitor, "first")["conversation"]
    conversation = deps.conversations.get(tenant, first["id"])
    assert conversation is not None and deps.conversations.dissuade(conversation, deps.clock.now())

    visitor.send({"action": "start_conversation", "id": "second", "consent": True,
                  "message": {"client_message_id": "m0", "text": "anyone?"}})
    refused = error_of(connections_api, visitor, "second")
    assert (refused["type"], refused["code"]) == ("error", "rate_limited")
    visitor_id = visitor.authorizer["principalId"]
    assert [c.id for c in deps.conversations.of_visitor(tenant, visitor_id, 10)] == [first["id"]]
    assert deps.conversations.open_for_visitor(tenant, visitor_id) == []


def test_racing_new_sessions_from_one_address_never_pass_the_limit(tenant: str) -> None:
    set_limits(tenant, visitor_sessions_per_hour=10)
    c = bootstrap.container()

    def open_one(_: int) -> bool:
        try:
            visitors.open_session(tenant, None, tenants=c.deps.tenants, secrets=c.secrets, ids=c.deps.ids,
                                  clock=c.deps.clock, rate_limits=c.deps.rate_limits, source_ip="198.51.100.4")
        except RateLimited:
            return False
        return True

    hour = c.deps.clock.now().replace(minute=0, second=0, microsecond=0)
    with ThreadPoolExecutor(THREADS) as pool:
        admitted = sum(pool.map(open_one, range(3 * THREADS)))
    windows = len({hour, c.deps.clock.now().replace(minute=0, second=0, microsecond=0)})  # 2 if an hour began
    assert admitted <= 10 * windows
    assert admitted >= 10


def test_a_visitors_racing_tabs_never_store_more_messages_than_the_limit(tenant: str) -> None:
    set_limits(tenant, visitor_messages_per_minute=5)
    deps = bootstrap.container().deps
    visitor = Principal(tenant, "v-tabs", PrincipalKind.VISITOR)
    conversation = conversations.start_conversation(deps, visitor, None, ChatRequest(consent=True))

    def tab(n: int) -> int:
        sent = 0
        for i in range(2):
            try:
                conversations.send_message(deps, visitor, None, conversation.id, f"tab{n}-{i}", f"from tab {n}")
                sent += 1
            except RateLimited:
                pass
        return sent

    with ThreadPoolExecutor(THREADS) as pool:
        acked = sum(pool.map(tab, range(THREADS)))
    stored = deps.conversations.messages(tenant, conversation.id, 0, 100)
    assert acked == len(stored)  # every acknowledged message is stored, and only those
    # A minute that began during the race admits its own 5: count per minute.
    per_minute: dict[int, int] = {}
    for message in stored:
        minute = int(message.sent_at.timestamp()) // 60
        per_minute[minute] = per_minute.get(minute, 0) + 1
    assert sum(max(0, n - 5) for n in per_minute.values()) == 0  # admitted over the limit
    assert 5 in per_minute.values()
