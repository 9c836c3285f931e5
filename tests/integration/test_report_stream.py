"""The report consumer end to end on moto's server (issue 15): conversations closed through the real services, the
table's stream read by the local stream pump (local/stream_pump.py) and handed to the real Lambda handler
(`app.on_table_change`), facts and day aggregates read back through the real adapter.

Each test's pump starts at the stream's end (LATEST): the session's table is shared, so only the test's own records
are delivered. Figures are compared exactly: counts, sums to the second and the bucket each duration fell in.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb.facts import DynamoReports
from chalicelib.domain.model import Agent, ConversationStatus, Principal, PrincipalKind, Role
from chalicelib.domain.report_facts import Counters, MetricCounts
from chalicelib.domain.reports.distributions import BUCKETS, bucket_of
from chalicelib.ports import Deps
from chalicelib.services import agents as agent_service
from chalicelib.services import conversations, offers, routing_admin, tenants
from chalicelib.services.conversations import ChatRequest
from local.embedded_aws import DEFAULT_TEMPLATE
from local.stream_pump import StreamPump, template_filters
from tests.integration.conftest import Stack

#: The event source mapping's FilterCriteria (infra/template.yaml), as the local stack applies them.
STREAM_FILTERS = template_filters(DEFAULT_TEMPLATE, "OnTableChange")

ZONE = "Pacific/Auckland"  # UTC+13 in December: 11:30 UTC is 00:30 the next day there
START = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
NEXT_DAY_THERE = date(2026, 12, 7)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.current = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.current

    def advance(self, **kwargs: float) -> None:
        with self._lock:
            self.current += timedelta(**kwargs)


@dataclass
class Desk:
    tenant: str
    deps: Deps
    clock: Clock

    def agent(self, agent_id: str) -> Principal:
        return Principal(self.tenant, agent_id, PrincipalKind.AGENT, name=agent_id.upper(),
                         roles=frozenset({Role.AGENT}))

    def hire(self, agent_id: str, group: str) -> None:
        self.deps.agents.put(Agent(tenant=self.tenant, id=agent_id, name=agent_id.upper(), queues=(group,),
                                   capacity=5, idle_since=self.clock.now() - timedelta(hours=1)))
        self.deps.connections.add(self.agent(agent_id), f"desk-{agent_id}-{uuid.uuid4().hex[:6]}", self.clock.now())
        agent_service.set_status(self.deps, self.agent(agent_id), "available")

    def chat(self, agent_id: str, queue: str, minutes: float) -> str:
        """A visitor's chat in `queue`, taken by `agent_id` and closed `minutes` after it began; its id."""
        visitor = Principal(self.tenant, f"v-{uuid.uuid4().hex[:8]}", PrincipalKind.VISITOR)
        started = conversations.start_conversation(
            self.deps, visitor, None,
            ChatRequest(message={"client_message_id": uuid.uuid4().hex[:8], "text": "Hello"}, consent=True,
                        queue=queue))
        offered = self.deps.conversations.get(self.tenant, started.id)
        assert offered is not None and offered.offer is not None and offered.offer.agent_id == agent_id, offered
        offers.accept(self.deps, self.agent(agent_id), started.id, offered.offer.id)
        self.clock.advance(minutes=minutes)
        closed = conversations.close_conversation(self.deps, self.agent(agent_id), started.id)
        assert closed.status is ConversationStatus.CLOSED
        return started.id


@pytest.fixture
def desk(stack: Stack, tenant: str) -> Desk:
    clock = Clock(START)
    deps = replace(bootstrap.container().deps, clock=clock)
    boss = Principal(tenant, "boss", PrincipalKind.AGENT, name="Boss", roles=frozenset({Role.ADMIN}))
    routing_admin.replace_routing_config(deps, boss, {
        "groups": [{"id": "sales", "threshold": 10}, {"id": "billing", "threshold": 10}],
        "rules": [{"id": "sales", "groups": ["sales"], "match": {"queue": "sales"}},
                  {"id": "billing", "groups": ["billing"], "match": {"queue": "billing"}}]})
    tenants.change_settings(deps, boss, {"acceptance_seconds": 600})
    found = deps.tenants.get(tenant)
    assert found is not None
    callback = found.settings.callback
    zoned = replace(found.settings, callback=replace(callback, slots=replace(callback.slots, time_zone=ZONE)))
    deps.tenants.put(replace(found, settings=zoned))
    return Desk(tenant, deps, clock)


def pump_for(stack: Stack, handler: Callable[[dict[str, Any], Any], Any] = lambda_app.on_table_change,
             batch_size: int = 100) -> StreamPump:
    return StreamPump(handler, table_name=stack.env["TABLE_NAME"], endpoint_url=stack.env["AWS_ENDPOINT_URL"],
                      batch_size=batch_size, start="LATEST",
                      filters=STREAM_FILTERS)


def counts(*durations: float) -> MetricCounts:
    buckets = [0] * BUCKETS
    for seconds in durations:
        buckets[bucket_of(seconds)] += 1
    return MetricCounts(len(durations), float(sum(durations)), float(sum(durations)), tuple(buckets))


def figures(tenant: str, day: date) -> tuple[dict[tuple[str, str], Counters], list[tuple[str, str, int]]]:
    store = DynamoReports()
    facts = sorted((f.kind, f.subject_id, f.cycle) for f in store.facts(tenant, day))
    return store.day_aggregates(tenant, day), facts


def close_three(desk: Desk) -> list[str]:
    """Ann closes a 2-minute sales chat, then a 30-minute one; Bob a 90-minute billing chat (all on the 7th in
    Auckland, the 6th in UTC)."""
    desk.hire("ann", "sales")
    desk.hire("bob", "billing")
    desk.clock.current = START + timedelta(hours=1, minutes=28)  # 11:28 UTC: 00:28 on the 7th in Auckland
    return [desk.chat("ann", "sales", 2), desk.chat("ann", "sales", 30), desk.chat("bob", "billing", 90)]


def chats(*minutes: float) -> Counters:
    """The counters of chats each answered at once (a 0-second wait), handled and resolved in `minutes`, closed by
    the agent (the close sends the rating's survey)."""
    n = len(minutes)
    seconds = [m * 60 for m in minutes]
    return {"closed": MetricCounts(n), "resolution": counts(*seconds), "csat_sent": MetricCounts(n),
            "contacts": counts(*seconds), "contact_close": MetricCounts(n),
            "waits": counts(*[0] * n), "answered": counts(*[0] * n)}


def expected_aggregates(desk: Desk) -> dict[tuple[str, str], Counters]:
    return {
        ("tenant", desk.tenant): chats(2, 30, 90),
        ("queue", "sales"): chats(2, 30),
        ("queue", "billing"): chats(90),
        ("agent", "ann"): chats(2, 30),
        ("agent", "bob"): chats(90),
        ("channel", "chat"): chats(2, 30, 90),
    }


def test_closing_conversations_writes_one_fact_each_and_the_days_counters(stack: Stack, desk: Desk) -> None:
    pump = pump_for(stack)
    ids = close_three(desk)

    result = pump.drain()

    assert result.failed == 0 and result.delivered > 0
    aggregates, facts = figures(desk.tenant, NEXT_DAY_THERE)
    assert [(kind, subject) for kind, subject, _ in facts] == sorted(
        (kind, conversation_id) for conversation_id in ids for kind in ("closed", "contact", "wait"))
    assert aggregates == expected_aggregates(desk)
    assert figures(desk.tenant, date(2026, 12, 6)) == ({}, [])  # the UTC day holds nothing: the tenant's clock
    store = DynamoReports()
    [fact] = [f for f in store.facts(desk.tenant, NEXT_DAY_THERE) if f.subject_id == ids[2] and f.kind == "closed"]
    assert (fact.queue, fact.agent_id, fact.channel, fact.at) == (
        "billing", "bob", "chat", START + timedelta(hours=1, minutes=28 + 2 + 30 + 90))
    assert store.aggregates(desk.tenant, [NEXT_DAY_THERE, date(2026, 12, 8)], [("queue", "sales"), ("agent", "cy")]) \
        == {(NEXT_DAY_THERE, "queue", "sales"): chats(2, 30)}


def test_every_batch_delivered_twice_gives_the_same_figures(stack: Stack, desk: Desk) -> None:
    answers: list[Any] = []

    def twice(event: dict[str, Any], context: Any) -> Any:
        lambda_app.on_table_change(event, context)
        answers.append(lambda_app.on_table_change(event, context))
        return answers[-1]

    pump = pump_for(stack, twice, batch_size=3)
    close_three(desk)

    result = pump.drain()

    assert result.batches > 1 and result.failed == 0
    assert all(answer == {"batchItemFailures": []} for answer in answers)
    aggregates, facts = figures(desk.tenant, NEXT_DAY_THERE)
    assert len(facts) == 9  # each chat's wait, contact and close
    assert aggregates == expected_aggregates(desk)


class FlakyReports:
    """The real store, whose `record_all` (a change's facts) fails once at its n-th call (the consumer crashing
    mid-batch)."""

    def __init__(self, fail_at: int) -> None:
        self.real = DynamoReports()
        self.calls = 0
        self.fail_at = fail_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def record_all(self, facts: Any) -> bool:
        self.calls += 1
        if self.calls == self.fail_at:
            raise ConnectionError("injected: the store went away in the middle of the batch")
        return self.real.record_all(facts)


def test_a_failure_in_the_middle_of_a_batch_is_reported_and_the_retry_gives_the_same_figures(
        stack: Stack, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    flaky = FlakyReports(fail_at=2)
    container = bootstrap.container()
    monkeypatch.setattr(bootstrap, "_container", replace(container, deps=replace(container.deps, reports=flaky)))
    answers: list[Any] = []

    def recorded(event: dict[str, Any], context: Any) -> Any:
        answers.append(lambda_app.on_table_change(event, context))
        return answers[-1]

    pump = pump_for(stack, recorded)
    close_three(desk)

    result = pump.drain()

    failed = [a["batchItemFailures"] for a in answers if a["batchItemFailures"]]
    assert len(failed) == 1 and len(failed[0]) == 1  # the second close's record, once
    assert result.failed == 1 and result.given_up == 0
    # The first chat's accept (its wait) recorded, its close (contact and close) failed; the retry from that record
    # made it and the two other chats' accepts and closes.
    assert flaky.calls == 7
    aggregates, facts = figures(desk.tenant, NEXT_DAY_THERE)
    assert len(facts) == 9  # each chat's wait, contact and close
    assert aggregates == expected_aggregates(desk)


def test_a_handler_that_crashes_after_half_a_batch_has_it_all_redelivered_and_counts_once(
        stack: Stack, desk: Desk) -> None:
    crashes = [True]

    def crash_once(event: dict[str, Any], context: Any) -> Any:
        if crashes.pop() if crashes else False:
            half = {"Records": event["Records"][: len(event["Records"]) // 2]}
            lambda_app.on_table_change(half, context)
            raise TimeoutError("injected: the function timed out half way")
        return lambda_app.on_table_change(event, context)

    pump = pump_for(stack, crash_once)
    close_three(desk)

    result = pump.drain()

    assert result.failed == 1
    aggregates, facts = figures(desk.tenant, NEXT_DAY_THERE)
    assert len(facts) == 9  # each chat's wait, contact and close
    assert aggregates == expected_aggregates(desk)


def test_records_of_items_the_consumer_ignores_change_nothing(stack: Stack, desk: Desk) -> None:
    pump = pump_for(stack)
    desk.hire("ann", "sales")
    desk.clock.current = START + timedelta(hours=1, minutes=28)
    visitor = Principal(desk.tenant, "v-open", PrincipalKind.VISITOR)
    conversations.start_conversation(
        desk.deps, visitor, None,
        ChatRequest(message={"client_message_id": "m1", "text": "Hello"}, consent=True, queue="sales"))

    result = pump.drain()

    assert result.delivered > 0 and result.failed == 0  # agent, conversation, message, index records...
    for day in (date(2026, 12, 6), NEXT_DAY_THERE):
        assert figures(desk.tenant, day) == ({}, [])
