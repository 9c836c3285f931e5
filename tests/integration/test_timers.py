"""Timers end to end on the embedded AWS: the app arms them (SQS delay or Scheduler), the local pump fires them
into `app.on_timer`, and a timer delivered twice changes nothing more (invariant 5)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import boto3

import app as lambda_app
from chalicelib import bootstrap
from chalicelib.domain.model import Agent, AgentStatus, Principal, PrincipalKind
from chalicelib.ports import Timer
from chalicelib.services import agents, connections, presence
from local.events import lambda_context, sqs_event, sqs_record
from local.timer_pump import TimerPump


def pump(stack: Any) -> TimerPump:
    return TimerPump(lambda_app.on_timer, queue_url=stack.env["TIMER_QUEUE_URL"],
                     schedule_group=stack.env["SCHEDULE_GROUP"], endpoint_url=stack.env["AWS_ENDPOINT_URL"])


def away_agent(tenant: str) -> Principal:
    deps = bootstrap.container().deps
    agent = Principal(tenant, "a1", PrincipalKind.AGENT, name="Ann")
    deps.agents.put(Agent(tenant=tenant, id="a1", name="Ann"))
    connections.connect(deps, agent, "c1")
    agents.set_status(deps, agent, "available")
    connections.disconnect(deps, agent, "c1")  # arms the presence check (60 s, on SQS delay)
    return agent


def status(tenant: str) -> AgentStatus:
    agent = bootstrap.container().deps.agents.get(tenant, "a1")
    assert agent is not None
    return agent.status


def test_a_short_timer_rides_sqs_delay_and_fires_through_the_pump(stack: Any, tenant: str) -> None:
    deps = bootstrap.container().deps
    away_agent(tenant)
    timer = Timer(kind=presence.CHECK, tenant=tenant, payload={"agent_id": "a1", "status": "available"})
    armed = time.monotonic()
    deps.timers.arm(timer, deps.clock.now() + timedelta(seconds=2), deps.clock.now())
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=stack.env["TIMER_QUEUE_URL"],
                                                          AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert int(attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"]) >= 1  # held back by DelaySeconds
    local = pump(stack)
    while status(tenant) is not AgentStatus.OFFLINE and time.monotonic() - armed < 20:
        local.pump_once()  # earlier tests' due timers may fire too: each finds its own state
        time.sleep(0.2)
    assert status(tenant) is AgentStatus.OFFLINE
    assert time.monotonic() - armed >= 2  # not before its delay


def test_a_long_timer_becomes_a_one_time_schedule(stack: Any, tenant: str) -> None:
    deps = bootstrap.container().deps
    away_agent(tenant)
    now = deps.clock.now()
    timer = Timer(kind=presence.CHECK, tenant=tenant, payload={"agent_id": "a1", "status": "available"})
    deps.timers.arm(timer, now + timedelta(hours=24), now)
    deps.timers.arm(timer, now + timedelta(hours=24), now)  # re-arming the same timer is idempotent
    scheduler = boto3.client("scheduler")
    ours = [s for s in scheduler.list_schedules(GroupName=stack.env["SCHEDULE_GROUP"])["Schedules"]
            if tenant in json.dumps(scheduler.get_schedule(Name=s["Name"], GroupName=s["GroupName"])["Target"])]
    assert len(ours) == 1
    detail = scheduler.get_schedule(Name=ours[0]["Name"], GroupName=ours[0]["GroupName"])
    assert detail["ScheduleExpression"].startswith("at(") and detail["ActionAfterCompletion"] == "DELETE"
    assert detail["Target"]["Arn"] == stack.env["TIMER_QUEUE_ARN"]
    local = pump(stack)
    local.pump_once(now=now + timedelta(hours=23))
    assert status(tenant) is AgentStatus.AVAILABLE  # not due yet
    # Other tests' schedules share the group (bookings of callbacks): at least this one fires, and it acts.
    assert local.pump_once(now=now + timedelta(hours=24, minutes=1)).fired >= 1
    assert not [s for s in scheduler.list_schedules(GroupName=stack.env["SCHEDULE_GROUP"])["Schedules"]
                if s["Name"] == ours[0]["Name"]]  # fired once, then deleted (ActionAfterCompletion DELETE)
    local.pump_once(now=now + timedelta(hours=24, minutes=1))
    assert status(tenant) is AgentStatus.OFFLINE


def test_a_timer_delivered_twice_acts_once(stack: Any, tenant: str) -> None:
    away_agent(tenant)
    body = json.dumps({"kind": presence.CHECK, "tenant": tenant, "agent_id": "a1", "status": "available"})
    record = sqs_record({"MessageId": "m1", "ReceiptHandle": "r1", "Body": body, "Attributes": {},
                         "MD5OfBody": ""}, stack.env["TIMER_QUEUE_ARN"])
    lambda_app.on_timer(sqs_event([record, record]), lambda_context("on_timer"))
    assert status(tenant) is AgentStatus.OFFLINE
    agents.set_status(bootstrap.container().deps, Principal(tenant, "a1", PrincipalKind.AGENT), "away")
    lambda_app.on_timer(sqs_event([record]), lambda_context("on_timer"))  # a late third copy
    assert status(tenant) is AgentStatus.AWAY  # armed for "available": stale now, so it changes nothing
