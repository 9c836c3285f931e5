"""The local stack's reset (`POST /__local__/reset`, local/reset.py), on which StackPool relies to hand each test a
fresh stack without booting one: after a chat was offered, an agent went Available, an email was sent, timers
were armed and the tenant's settings and routing were changed, a reset with other demo settings leaves exactly what
a stack freshly started with those settings holds (its table compared item by item), with the same logins and agent
ids; and a stack started without `GUICHET_LOCAL_RESET=1` (as `make run` does) has no such route."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import LocalStack, StackPool
from tests.e2e.helpers import ask, login, rest, rest_status, ws_url

USERS = ("alice", "bob", "sam", "ada")
OTHER = {"acceptance_seconds": 10, "accent_colour": "#123456", "reject_allowed": False}


@pytest.fixture
def stack(stack_pool: StackPool) -> Iterator[LocalStack]:
    """A pooled stack (started with GUICHET_LOCAL_RESET=1), fresh with the default demo settings."""
    taken = stack_pool.take({})
    yield taken
    stack_pool.release(taken)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack booted as `make run` boots it (no GUICHET_LOCAL_RESET), with the OTHER demo settings, never used by
    a test: what "freshly started" means."""
    booted = LocalStack(tmp_path_factory.mktemp("plain"), OTHER, resettable=False)
    try:
        booted.wait_until_up()
        yield booted
    finally:
        booted.stop()


def aws(stack: LocalStack, service: str) -> Any:
    return boto3.client(service, endpoint_url=stack.aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing")


def me(url: str, username: str) -> dict[str, Any]:
    answer: dict[str, Any] = rest(url, "GET", "/tenants/demo/me", token=login(url, username)["id_token"])
    return answer


def pending_timers(stack: LocalStack) -> dict[str, Any]:
    """Messages of every queue (visible, in flight, delayed) and every schedule of every group."""
    sqs = aws(stack, "sqs")
    found: dict[str, Any] = {}
    for queue in sqs.list_queues().get("QueueUrls", []):
        counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed"])["Attributes"]
        if any(int(n) for n in counts.values()):
            found[queue] = counts
    schedules = aws(stack, "scheduler").list_schedules().get("Schedules", [])
    if schedules:
        found["schedules"] = [s["Name"] for s in schedules]
    return found


def arm_a_long_timer(stack: LocalStack) -> None:
    """A timer beyond SQS's 15 minutes, as the app arms one: a one-time schedule of the stack's group."""
    sqs, scheduler = aws(stack, "sqs"), aws(stack, "scheduler")
    (queue,) = (q for q in sqs.list_queues()["QueueUrls"] if q.endswith("/guichet-timers-local"))
    (group,) = (g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"] if g["Name"] != "default")
    scheduler.create_schedule(
        Name="later", GroupName=group, FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
        ScheduleExpression=f"at({(datetime.now(UTC) + timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%S')})",
        Target={"Arn": sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
                "RoleArn": "arn:aws:iam::123456789012:role/scheduler", "Input": "{}"})


def table(stack: LocalStack) -> list[str]:
    """Every item of the stack's table, sorted, with agent ids written as usernames, string and number sets sorted,
    the tenant's identity secret (random at each seeding) masked, and its site URL (the stack's own page,
    local/demo.py) written as `<site>`."""
    ddb = aws(stack, "dynamodb")
    (name,) = ddb.list_tables()["TableNames"]
    items = ddb.scan(TableName=name, ConsistentRead=True)["Items"]
    ids = {login(stack.url, username)["agent"]["id"]: username for username in USERS}
    rows = []
    for item in items:
        if "identity_secret" in item:
            item["identity_secret"] = {"S": "*"}
        if item["pk"]["S"].endswith("#USERS") and "created_at" in item:  # the user directory's: when seeded
            item["created_at"] = {"S": "*"}
        for value in item.values():  # a set has no order: moto writes it in its process's hash order
            for kind in ("SS", "NS"):
                if kind in value:
                    value[kind] = sorted(value[kind])
        text = json.dumps(item, sort_keys=True).replace(f"{stack.url}/", "<site>/")
        rows.append(re.sub("|".join(map(re.escape, ids)), lambda m: f"<{ids[m.group(0)]}>", text))
    return sorted(rows)


def outbox(url: str) -> list[dict[str, Any]]:
    emails: list[dict[str, Any]] = rest(url, "GET", "/outbox.json")["emails"]
    return emails


def next_offer(desk: ClientConnection) -> dict[str, Any]:
    """The next `offer` frame pushed to an agent's socket."""
    deadline = time.monotonic() + 10
    while True:
        frame: dict[str, Any] = json.loads(desk.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame.get("type") == "offer":
            return frame


def close_code(socket: ClientConnection) -> int | None:
    """Read what is left on the socket until the server closes it; returns the close code."""
    deadline = time.monotonic() + 10
    with pytest.raises(ConnectionClosed):
        while time.monotonic() < deadline:
            socket.recv(timeout=max(0.1, deadline - time.monotonic()))
    return socket.close_code


def test_a_reset_leaves_the_state_of_a_fresh_start_with_the_new_settings(stack: LocalStack, plain: LocalStack) -> None:
    url = stack.url
    ids = {username: login(url, username)["agent"]["id"] for username in USERS}
    with ExitStack() as sockets:
        desk = sockets.enter_context(connect(ws_url(url, login(url, "alice")["id_token"]), open_timeout=10))
        assert ask(desk, {"action": "set_status", "id": "s1", "status": "available"})["type"] == "ack"
        visitor_token = rest(url, "POST", "/tenants/demo/visitors")["visitor_token"]
        visitor = sockets.enter_context(connect(ws_url(url, visitor_token), open_timeout=10))
        started = ask(visitor, {"action": "start_conversation", "consent": True, "id": "v1"})
        assert started["type"] == "ack", started
        conversation = started["conversation"]["id"]
        assert next_offer(desk)["conversation"]["id"] == conversation
        admin = login(url, "ada")["id_token"]
        rest(url, "PUT", "/tenants/demo/settings", {"acceptance_seconds": 42}, token=admin)
        rest(url, "PUT", "/tenants/demo/routing", {"groups": [{"id": "default", "name": "Default", "threshold": 7}],
                                                   "rules": [{"id": "all", "name": "All", "groups": ["default"]}]},
             token=admin)
        aws(stack, "sesv2").send_email(
            FromEmailAddress=aws(stack, "ses").list_identities()["Identities"][0],
            Destination={"ToAddresses": ["zoe@example.org"]},
            Content={"Simple": {"Subject": {"Data": "Your chat"}, "Body": {"Text": {"Data": "Hello"}}}})
        arm_a_long_timer(stack)

        # What the reset must wipe is there.
        assert me(url, "alice")["status"] == "available" and me(url, "alice")["active"] == 1
        assert [c["id"] for c in rest(url, "GET", "/tenants/demo/conversations",
                                      token=login(url, "alice")["id_token"])["conversations"]] == [conversation]
        assert len(outbox(url)) == 1
        armed = pending_timers(stack)
        assert armed.get("schedules") == ["later"] and len(armed) == 2, armed  # the offer's timer and the schedule

        began = time.monotonic()
        stack.reset(OTHER)
        took = time.monotonic() - began

        assert close_code(desk) == 1001  # every socket was closed, as on a stop
        assert close_code(visitor) == 1001
    assert took < 10, f"the reset took {took:.1f} s"  # ~0.4 s usually; a boot costs 6-9 s of CPU

    assert rest(url, "GET", "/tenants/demo/widget")["accent_colour"] == "#123456"
    assert rest(url, "GET", "/tenants/demo/settings", token=login(url, "alice")["id_token"])["acceptance_seconds"] == 10
    for username in USERS:  # the same logins, the same agent ids, all Offline with nothing held
        assert login(url, username)["agent"]["id"] == ids[username]
        profile = me(url, username)
        assert (profile["id"], profile["status"], profile["active"]) == (ids[username], "offline", 0)
    assert rest(url, "GET", "/tenants/demo/conversations", token=login(url, "alice")["id_token"]) == {
        "conversations": []}
    status, _ = rest_status(url, "GET", f"/tenants/demo/conversations/{conversation}", token=visitor_token)
    assert status == 404
    assert rest(url, "GET", "/tenants/demo/waiting", token=login(url, "sam")["id_token"]) == rest(
        plain.url, "GET", "/tenants/demo/waiting", token=login(plain.url, "sam")["id_token"])
    assert outbox(url) == []
    assert pending_timers(stack) == {}
    assert table(stack) == table(plain)  # item for item what a stack started with these settings holds

    # And it works as a fresh one: a chat is offered at once to an agent going Available.
    with ExitStack() as sockets:
        desk = sockets.enter_context(connect(ws_url(url, login(url, "bob")["id_token"]), open_timeout=10))
        assert ask(desk, {"action": "set_status", "id": "s1", "status": "available"})["type"] == "ack"
        visitor = sockets.enter_context(connect(ws_url(url, rest(url, "POST", "/tenants/demo/visitors")
                                                       ["visitor_token"]), open_timeout=10))
        started = ask(visitor, {"action": "start_conversation", "consent": True, "id": "v1"})
        assert started["type"] == "ack", started
        assert next_offer(desk)["conversation"]["id"] == started["conversation"]["id"]
    assert me(url, "bob")["active"] == 1


def test_a_reset_with_invalid_settings_fails_loudly_and_wipes_nothing(stack: LocalStack) -> None:
    rest(stack.url, "PUT", "/tenants/demo/agents/me/status", {"status": "available"},
         token=login(stack.url, "alice")["id_token"])
    with pytest.raises(RuntimeError, match="acceptance_seconds"):
        stack.reset({"acceptance_seconds": 1})
    assert me(stack.url, "alice")["status"] == "available"
    stack.reset({})
    assert me(stack.url, "alice")["status"] == "offline"


def test_a_stack_started_without_GUICHET_LOCAL_RESET_has_no_reset_route(plain: LocalStack) -> None:
    request = urllib.request.Request(f"{plain.url}/__local__/reset", method="POST", data=b"{}",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
    assert rest(plain.url, "GET", "/tenants/demo/widget")["accent_colour"] == "#123456"  # nothing was reset
