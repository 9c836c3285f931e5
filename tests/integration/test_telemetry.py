"""Powertools at the Lambda entry points (docs/operations.md): JSON log lines with the invocation's keys and never a
visitor's text or email, one EMF document per invocation in namespace Guichet, and a timer batch whose poisoned
record alone is reported failed (ReportBatchItemFailures), through `app.on_timer` and through the local pump."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters import telemetry
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from chalicelib.services import agents, connections, presence
from chalicelib.settings import settings
from local.events import lambda_context, sqs_event, sqs_record
from local.timer_pump import TimerPump
from tests.integration.conftest import ROOT, ConnectionsApi
from tests.integration.handlers import Socket
from tests.integration.test_slice_handlers import accept, acks, login, make_agent, visitor_token

SECRET_TEXT = "my parcel 4417 never came"
SECRET_EMAIL = "jeanne.secret@example.org"


@pytest.fixture
def http(stack: Any) -> Iterator[Any]:
    with Client(lambda_app.app, stage_name="dev", project_dir=str(ROOT)) as client:
        yield client.http


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """LOG_LEVEL=DEBUG for one test: every invocation writes its line."""
    logger = telemetry.logger()
    level = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield
    logger.setLevel(level)


def lines(out: str) -> list[dict[str, Any]]:
    found = []
    for line in out.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            found.append(parsed)
    return found


def emf_counts(documents: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for document in documents:
        if "_aws" not in document:
            continue
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Guichet"
        assert [sorted(dimensions) for dimensions in directive["Dimensions"]] == [["service", "stage"]]
        assert document["service"] == "guichet" and document["stage"] == settings().stage
        for metric in directive["Metrics"]:
            assert metric["Unit"] == "Count"
            value = document[metric["Name"]]
            counts[metric["Name"]] += int(sum(value) if isinstance(value, list) else value)
    return counts


def test_a_chat_logs_json_with_its_keys_and_counts_in_emf_without_visitor_text_or_email(
        http: Any, tenant: str, connections_api: ConnectionsApi, capsys: pytest.CaptureFixture[str],
        debug_logs: None) -> None:
    desk = Socket(f"desk-{tenant}", tenant, login(http, make_agent(tenant)))
    desk.send({"action": "set_status", "id": "s1", "status": "available"})
    widget = Socket(f"widget-{tenant}", tenant, visitor_token(http, tenant))
    bootstrap.container().deps.metrics.flush()  # what earlier tests counted outside a handler
    capsys.readouterr()
    widget.send({"action": "start_conversation", "consent": True, "id": "c1", "visitor_email": SECRET_EMAIL,
                 "visitor_name": "Jeanne"})
    conversation_id = acks(connections_api, widget.id, "c1")[0]["conversation"]["id"]
    accept(desk, connections_api)
    widget.send({"action": "send_message", "id": "m1", "conversation_id": conversation_id,
                 "client_message_id": "cm-1", "text": SECRET_TEXT, "after_seq": 0})
    desk.send({"action": "send_message", "id": "r1", "conversation_id": conversation_id,
               "client_message_id": "cr-1", "text": "Let me look", "after_seq": 1})
    assert acks(connections_api, widget.id, "m1")[0]["type"] == "ack"
    out = capsys.readouterr().out

    assert SECRET_TEXT not in out and "4417" not in out
    assert SECRET_EMAIL not in out and "jeanne.secret" not in out
    documents = lines(out)
    logged = [d for d in documents if d.get("service") == "guichet" and "level" in d]
    assert logged, out
    about_it = [d for d in logged if d.get("conversation_id") == conversation_id]
    assert about_it, logged
    for line in about_it:
        assert line["tenant"] == tenant and line["correlation_id"]
    counts = emf_counts(documents)
    assert counts["ConversationsStarted"] == 1 and counts["Offers"] == 1 and counts["Accepts"] == 1
    assert counts["Messages"] == 2
    assert all(name.isalpha() and conversation_id not in name for name in counts)


def away_agent(tenant: str) -> None:
    deps = bootstrap.container().deps
    agent = Principal(tenant, "a1", PrincipalKind.AGENT, name="Ann")
    deps.agents.put(Agent(tenant=tenant, id="a1", name="Ann"))
    connections.connect(deps, agent, "c1")
    agents.set_status(deps, agent, "available")
    connections.disconnect(deps, agent, "c1")


def presence_check(tenant: str) -> str:
    return json.dumps({"kind": presence.CHECK, "tenant": tenant, "agent_id": "a1", "status": "available"})


def poison(tenant: str) -> str:
    return json.dumps({"kind": "no-such-timer", "tenant": tenant, "conversation_id": "conv-poisoned"})


def record(stack: Any, message_id: str, body: str) -> dict[str, Any]:
    return sqs_record({"MessageId": message_id, "ReceiptHandle": f"r-{message_id}", "Body": body, "Attributes": {},
                       "MD5OfBody": ""}, stack.env["TIMER_QUEUE_ARN"])


def status(tenant: str) -> AgentStatus:
    agent = bootstrap.container().deps.agents.get(tenant, "a1")
    assert agent is not None
    return agent.status


def test_a_poisoned_record_alone_is_reported_and_the_others_take_effect_once(
        stack: Any, tenant: str, capsys: pytest.CaptureFixture[str]) -> None:
    away_agent(tenant)
    batch = [record(stack, f"m{i}", presence_check(tenant)) for i in range(4)]
    batch.insert(2, record(stack, "poisoned", poison(tenant)))
    batch += [record(stack, f"m{i}", presence_check(tenant)) for i in range(4, 9)]
    bootstrap.container().deps.metrics.flush()
    capsys.readouterr()
    answer = lambda_app.on_timer(sqs_event(batch), lambda_context("on_timer"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "poisoned"}]}
    assert status(tenant) is AgentStatus.OFFLINE  # the first check acted; the eight others found it done
    documents = lines(capsys.readouterr().out)
    counts = emf_counts(documents)
    assert counts["TimersFired"] == 9 and counts["TimersStale"] == 8
    (failure,) = [d for d in documents if d.get("message") == "timer failed; SQS delivers it again"]
    assert failure["level"] == "ERROR" and failure["correlation_id"] == "poisoned"
    assert failure["tenant"] == tenant and failure["conversation_id"] == "conv-poisoned"


def test_the_local_pump_redelivers_only_the_records_reported_failed(stack: Any, tenant: str) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName=f"pump-partial-{tenant}", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    handled: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        bodies = [r["body"] for r in event["Records"]]
        handled.extend(bodies)
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                                      if r["body"] == "poison"]}

    for body in ("a", "b", "poison", "c"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    pump = TimerPump(handler, queue_url=queue, schedule_group=None, endpoint_url=stack.env["AWS_ENDPOINT_URL"],
                     max_batches=1, batch_size=10)
    first = pump.pump_once()
    assert (first.delivered, first.failed) == (3, 1)
    assert sorted(handled) == ["a", "b", "c", "poison"]
    handled.clear()
    again = pump.pump_once()
    assert handled == ["poison"] and (again.delivered, again.failed) == (0, 1)  # only it came back
    sqs.delete_queue(QueueUrl=queue)
