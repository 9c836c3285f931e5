"""Telemetry (docs/operations.md): the log keys read from each kind of Lambda event, the EMF document of a flush,
the counts services make on the Metrics port, and Powertools kept out of domain/ and services/."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.telemetry import EmfMetrics, keys_of, record_keys
from chalicelib.domain.model import Agent, Principal, PrincipalKind, Role
from chalicelib.ports import Deps, NoMetrics
from chalicelib.services import agents, connections, conversations, offers
from local.events import sns_event
from tests.unit.fakes import FakeMetrics, make_deps
from tests.unit.test_live_chat import AGREED, fire_armed, offer_to

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "aws-events"
ALICE = Principal("demo", "alice", PrincipalKind.AGENT, name="Alice", roles=frozenset({Role.AGENT}))
VISITOR = Principal("demo", "v1", PrincipalKind.VISITOR)


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return copy.deepcopy(loaded)


def test_a_rest_event_names_its_tenant_conversation_and_request() -> None:
    event = {"pathParameters": {"tenant": "demo", "conversation_id": "c1"}, "body": '{"conversation_id": "x"}',
             "requestContext": {"requestId": "req-1", "resourcePath": "/tenants/{tenant}"}}
    assert keys_of(event) == {"tenant": "demo", "conversation_id": "c1", "correlation_id": "req-1"}


def test_a_websocket_frame_names_the_authorizers_tenant_and_its_conversation() -> None:
    event = sample("websocket-message.json")
    event["requestContext"]["authorizer"] = {"tenant": "demo", "principal_id": "v1"}
    event["body"] = json.dumps({"action": "send_message", "conversation_id": "c9", "text": "secret"})
    keys = keys_of(event)
    assert keys == {"tenant": "demo", "conversation_id": "c9", "correlation_id": event["requestContext"]["requestId"]}
    for body in ("{oops", "[1]", json.dumps({"conversation_id": 7}), "[" * 100_000, None):
        event["body"] = body
        assert keys_of(event)["conversation_id"] is None


def test_the_authorizer_and_sns_events_have_their_keys() -> None:
    authorizer = {"type": "REQUEST", "queryStringParameters": {"tenant": "demo", "token": "t"},
                  "requestContext": {"requestId": "r2"}}
    assert keys_of(authorizer) == {"tenant": "demo", "conversation_id": None, "correlation_id": "r2"}
    sns = sns_event((SAMPLES / "ses-received-sns.json").read_text(), "arn:aws:sns:us-east-1:123456789012:inbound")
    assert keys_of(sns)["correlation_id"] == sns["Records"][0]["Sns"]["MessageId"]
    assert keys_of({"Records": [{"body": "{}"}, {"body": "{}"}]}) == {
        "tenant": None, "conversation_id": None, "correlation_id": None}


def test_a_timer_record_names_its_message_tenant_and_conversation() -> None:
    body = json.dumps({"kind": "offer_expired", "tenant": "demo", "conversation_id": "c1", "offer_id": "o"})
    assert record_keys("m-1", body) == {"tenant": "demo", "conversation_id": "c1", "correlation_id": "m-1"}
    assert record_keys("m-2", "not json") == {"tenant": None, "conversation_id": None, "correlation_id": "m-2"}


def test_a_flush_prints_one_emf_document_and_nothing_when_nothing_was_counted(
        capsys: pytest.CaptureFixture[str]) -> None:
    metrics = EmfMetrics("prod")
    metrics.flush()
    assert capsys.readouterr().out == ""
    metrics.count("Messages")
    metrics.count("Messages", 2)
    metrics.count("Offers")
    metrics.flush()
    metrics.flush()  # counted once: the second flush has nothing
    (line,) = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Guichet"
    assert [sorted(d) for d in directive["Dimensions"]] == [["service", "stage"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {"Messages": "Count", "Offers": "Count"}
    assert document["service"] == "guichet" and document["stage"] == "prod"
    assert document["Messages"] == [3.0] and document["Offers"] == [1.0]


def test_a_chat_counts_what_happened(deps: Deps) -> None:
    metrics = deps.metrics
    assert isinstance(metrics, FakeMetrics)
    agents.set_status(deps, ALICE, "available")
    started = conversations.start_conversation(deps, VISITOR, None, AGREED)
    offer = offer_to(deps, ALICE)
    offers.accept(deps, ALICE, started.id, offer["id"])
    conversations.send_message(deps, VISITOR, None, started.id, "m1", "hello")
    conversations.send_message(deps, ALICE, None, started.id, "m2", "hi", 1)
    assert fire_armed(deps, "offer.expired") == [False]  # accepted: the timer is stale
    assert metrics.counts == {"ConversationsStarted": 1, "Offers": 1, "Accepts": 1, "Messages": 2,
                              "TimersFired": 1, "TimersStale": 1}


def test_an_offer_that_times_out_is_counted(deps: Deps) -> None:
    metrics = deps.metrics
    assert isinstance(metrics, FakeMetrics)
    agents.set_status(deps, ALICE, "available")
    conversations.start_conversation(deps, VISITOR, None, AGREED)
    assert fire_armed(deps, "offer.expired") == [True]
    assert metrics.counts["OfferTimeouts"] == 1 and metrics.counts["TimersFired"] == 1
    assert "TimersStale" not in metrics.counts


def test_a_deps_without_metrics_counts_nothing() -> None:
    metrics = NoMetrics()
    metrics.count("Messages")
    metrics.flush()


def test_domain_and_services_do_not_import_powertools() -> None:
    for path in sorted((ROOT / "chalicelib" / "domain").rglob("*.py")) + sorted(
            (ROOT / "chalicelib" / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("aws_lambda_powertools") for n in names), path


@pytest.fixture
def deps() -> Deps:
    d = make_deps("demo")
    d.agents.put(Agent(tenant="demo", id=ALICE.id, name=ALICE.name))
    connections.connect(d, ALICE, "alice-1")
    return d
